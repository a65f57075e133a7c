"""``zhicheng verify`` (offline, files or URLs) and ``zhicheng keys generate|list|export`` against a real
database (SQLite and PostgreSQL): valid → exit 0; any edited byte, revoked, unknown key → exit 1; bad input → 2."""

from __future__ import annotations

import functools
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cert_world import CertWorld
from typer.testing import CliRunner

from zhicheng.certificates import service as csvc
from zhicheng.cli import app

runner = CliRunner()


@pytest.fixture
def cli_env(world: CertWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CertWorld:
    """The CLI on the world's database and key folder."""
    monkeypatch.setenv("ZHICHENG_DATABASE_URL", world.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("ZHICHENG_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ZHICHENG_CERT_KEY_DIR", str(world.trust.key_dir))
    return world


def export(folder: Path) -> tuple[Path, Path]:
    r = runner.invoke(app, ["keys", "export", str(folder)])
    assert r.exit_code == 0, r.output
    return folder / "keys.json", folder / "status-zc-0001.json"


def verify(path: Path, keys: Path | str, status: Path | str | None = None) -> tuple[int, str]:
    args = ["verify", str(path), "--keys", str(keys)]
    if status is not None:
        args += ["--status", str(status)]
    r = runner.invoke(app, args)
    return r.exit_code, r.output


def test_issue_verify_revoke_verify_offline(cli_env: CertWorld, tmp_path: Path) -> None:
    w = cli_env
    cert, _ = w.issued()
    path = tmp_path / "cert.json"
    path.write_bytes(w.certificate(cert.number).signed_json.encode())
    pdf = tmp_path / "cert.pdf"
    pdf.write_bytes(w.run(w.applicants[0], csvc.certificate_pdf, w.trust, cert.number))
    keys, status = export(tmp_path / "pub1")
    code, out = verify(path, keys, status)
    assert code == 0 and "有效" in out and "张伟" in out and cert.number in out
    assert verify(pdf, keys, status)[0] == 0
    code, out = verify(path, keys)
    assert code == 0 and "未检查吊销/暂停状态" in out

    w.run(w.bureau, csvc.revoke_certificate, w.trust, cert.number, reason="认定以弄虚作假取得")
    keys, status = export(tmp_path / "pub2")
    code, out = verify(path, keys, status)
    assert code == 1 and "已撤销" in out
    assert verify(pdf, keys, status)[0] == 1


def test_any_edited_byte_fails(cli_env: CertWorld, tmp_path: Path) -> None:
    w = cli_env
    cert, _ = w.issued()
    original = w.certificate(cert.number).signed_json.encode()
    pdf_bytes = w.run(w.applicants[0], csvc.certificate_pdf, w.trust, cert.number)
    keys, status = export(tmp_path / "pub")
    edits = {
        "name": original.replace("张伟".encode(), "张传".encode()),
        "date": original.replace(b'"issue_date":"2026-12-08"', b'"issue_date":"2026-12-09"'),
        "space": original.replace(b'{"data":', b'{ "data":'),
        "trailing newline": original + b"\n",
    }
    for label, edited in edits.items():
        assert edited != original, label
        (tmp_path / "x.json").write_bytes(edited)
        code, out = verify(tmp_path / "x.json", keys, status)
        assert code == 1, (label, out)
    for position in (len(pdf_bytes) // 3, len(pdf_bytes) // 2, len(pdf_bytes) - 5):
        edited_pdf = bytearray(pdf_bytes)
        edited_pdf[position] ^= 0x01
        (tmp_path / "x.pdf").write_bytes(bytes(edited_pdf))
        code, out = verify(tmp_path / "x.pdf", keys, status)
        assert code == 1 and "✘" in out, (position, out)
    # every single byte of the JSON, checked without the CLI round trip
    from zhicheng.certificates.signing import KeyRing
    from zhicheng.certificates.verify import verify_certificate

    ring = KeyRing.load(keys)
    for i in range(len(original)):
        flipped = bytearray(original)
        flipped[i] ^= 0x20 if 0x40 <= flipped[i] < 0x80 else 0x01
        assert not verify_certificate(bytes(flipped), ring).valid, i


def test_keys_generate_rotates_and_old_certificates_still_verify(cli_env: CertWorld, tmp_path: Path) -> None:
    w = cli_env
    old, _ = w.issued()
    path = tmp_path / "old.json"
    path.write_bytes(w.certificate(old.number).signed_json.encode())
    r = runner.invoke(app, ["keys", "generate", "--kid", "bj-2027-01"])
    assert r.exit_code == 0, r.output
    assert r.output.splitlines()[0] == "bj-2027-01" and (w.trust.key_dir / "bj-2027-01.pem").is_file()
    assert oct((w.trust.key_dir / "bj-2027-01.pem").stat().st_mode & 0o777) == "0o600"
    listing = runner.invoke(app, ["keys", "list"]).output
    assert "bj-2027-01" in listing and old.kid in listing and "已停用" in listing
    again = runner.invoke(app, ["keys", "generate", "--kid", "bj-2027-01"])
    assert again.exit_code == 2 and "已存在" in again.output
    keys, status = export(tmp_path / "pub")
    code, out = verify(path, keys, status)
    assert code == 0 and old.kid in out
    # without the retired key in the published set the old certificate cannot be verified
    stripped = tmp_path / "only-new.json"
    published = json.loads(keys.read_text(encoding="utf-8"))
    published["keys"] = [k for k in published["keys"] if k["kid"] != old.kid]
    stripped.write_text(json.dumps(published), encoding="utf-8")
    code, out = verify(path, stripped, status)
    assert code == 1 and "不在" in out


def test_keys_and_status_from_urls(cli_env: CertWorld, tmp_path: Path) -> None:
    w = cli_env
    cert, _ = w.issued()
    path = tmp_path / "cert.json"
    path.write_bytes(w.certificate(cert.number).signed_json.encode())
    folder = tmp_path / "site"
    export(folder)
    with serve(folder) as base:
        code, out = verify(path, f"{base}/keys.json", f"{base}/status-zc-0001.json")
        assert code == 0, out
        code, out = verify(path, f"{base}/missing.json")
        assert code == 2 and "无法读取公钥列表" in out


def test_bad_input_exits_2(cli_env: CertWorld, tmp_path: Path) -> None:
    (tmp_path / "keys.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "c.json").write_text("{}", encoding="utf-8")
    assert verify(tmp_path / "c.json", tmp_path / "keys.json")[0] == 2
    assert verify(tmp_path / "nope.json", tmp_path / "keys.json")[0] == 2


@functools.cache
def _quiet_handler(folder: str) -> type[http.server.SimpleHTTPRequestHandler]:
    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
            super().__init__(*args, directory=folder, **kwargs)

        def log_message(self, *args) -> None:  # type: ignore[no-untyped-def]
            pass

    return Handler


class serve:
    """A real HTTP server on a free local port serving ``folder`` (a static site publishing the files)."""

    def __init__(self, folder: Path) -> None:
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _quiet_handler(str(folder)))
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __exit__(self, *exc: object) -> Iterator[None] | None:
        self.server.shutdown()
        self.server.server_close()
        return None
