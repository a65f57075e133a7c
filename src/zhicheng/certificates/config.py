"""Configuration of issuing and public verification, read from ``ZHICHENG_*`` variables.

* ``ZHICHENG_BASE_URL`` (``http://127.0.0.1:8000``): public address of the platform; the QR code
  points to ``<base>/verify/<number>?t=<token>``.
* ``ZHICHENG_CERT_KEY_DIR`` (``<data dir>/keys``): folder of the private signing keys, ``<kid>.pem``.
* ``ZHICHENG_VERIFY_LIMIT`` (30) look-ups per client address per ``ZHICHENG_VERIFY_WINDOW_SECONDS`` (600).
* ``ZHICHENG_TRUST_PROXY`` (off): ``1`` takes the client address from the last ``X-Forwarded-For``
  entry (one reverse proxy in front).

Several processes share nothing but the database and this key folder (mount it on every host).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .keys import KeyStore

__all__ = ["DEFAULT_BASE_URL", "TrustSettings"]

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
_BASE_URL_RE = re.compile(r"https?://[A-Za-z0-9.-]+(:\d+)?(/[A-Za-z0-9._~/-]*)?")


@dataclass(frozen=True)
class TrustSettings:
    """Where keys live, what the QR code points to, how hard public look-ups are limited."""

    base_url: str = DEFAULT_BASE_URL
    key_dir: Path = Path("data") / "keys"
    verify_limit: int = 30
    verify_window: dt.timedelta = dt.timedelta(minutes=10)
    trust_proxy: bool = False

    def __post_init__(self) -> None:
        if _BASE_URL_RE.fullmatch(self.base_url) is None:
            raise ValueError(f"ZHICHENG_BASE_URL 应为 http(s):// 开头的网址（不含查询参数），收到 {self.base_url!r}")
        if self.verify_limit < 1 or self.verify_window.total_seconds() < 1:
            raise ValueError("核验频率限制须为正数")

    @classmethod
    def from_env(cls, data_dir: Path, environ: Mapping[str, str] | None = None) -> TrustSettings:
        env = os.environ if environ is None else environ

        def get(name: str) -> str:
            return env.get(name, "").strip()

        return cls(
            base_url=(get("ZHICHENG_BASE_URL") or DEFAULT_BASE_URL).rstrip("/"),
            key_dir=Path(get("ZHICHENG_CERT_KEY_DIR") or Path(data_dir) / "keys"),
            verify_limit=int(get("ZHICHENG_VERIFY_LIMIT") or 30),
            verify_window=dt.timedelta(seconds=int(get("ZHICHENG_VERIFY_WINDOW_SECONDS") or 600)),
            trust_proxy=get("ZHICHENG_TRUST_PROXY") in ("1", "true", "yes"),
        )

    @property
    def keys(self) -> KeyStore:
        return KeyStore(self.key_dir)

    def verification_url(self, number: str, token: str) -> str:
        return f"{self.base_url}/verify/{number}?t={token}"
