"""The baseline of the HTTP benchmark: a bare FastAPI app with one endpoint returning a tiny JSON.

A plain ``def`` endpoint, like the platform's, so both run in Starlette's thread pool; served by the same
uvicorn command with the same worker count (bench/bench_http.py).
"""

from __future__ import annotations

from fastapi import FastAPI

app = FastAPI(title="bench-bare")


@app.get("/ping")
def ping() -> dict[str, bool]:
    return {"ok": True}
