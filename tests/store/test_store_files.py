"""Content-addressed evidence storage: type by content, size limit, atomic idempotent writes."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from zhicheng.store.db import transaction
from zhicheng.store.files import DEFAULT_MAX_BYTES, EvidenceError, EvidenceStore, record_file, sniff_media_type
from zhicheng.store.models import EvidenceFile

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 20
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20
EXE = b"MZ\x90\x00\x03" + b"\x00" * 40


@pytest.mark.parametrize(("data", "media_type"), [(PDF, "application/pdf"), (PNG, "image/png"), (JPEG, "image/jpeg")])
def test_accepts_pdf_png_jpeg_by_content(tmp_path: Path, data: bytes, media_type: str) -> None:
    store = EvidenceStore(tmp_path)
    sha, detected = store.put(data, "whatever.bin")
    assert detected == media_type
    assert sha == hashlib.sha256(data).hexdigest()
    path = tmp_path / sha[:2] / sha[2:4] / sha
    assert path.read_bytes() == data
    assert store.path_for(sha) == path and store.exists(sha) and store.read(sha) == data


def test_type_is_judged_by_content_not_name(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path)
    assert store.put(PDF, "证书.exe").media_type == "application/pdf"
    with pytest.raises(EvidenceError) as info:
        store.put(EXE, "x.exe")
    assert str(info.value) == "文件 x.exe 的内容不是 PDF、JPG 或 PNG"
    with pytest.raises(EvidenceError, match=r"^文件 业绩证明\.pdf 的内容不是 PDF、JPG 或 PNG$"):
        store.put(b"<html>%PDF-1.4</html>", "业绩证明.pdf")
    assert sniff_media_type(b"%PDF") is None  # truncated signature


def test_empty_and_too_large(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path)
    assert store.max_bytes == DEFAULT_MAX_BYTES == 5 * 1024 * 1024
    with pytest.raises(EvidenceError, match=r"^文件 a\.pdf 为空$"):
        store.put(b"", "a.pdf")
    big = PDF + b"\x00" * (int(6.2 * 1024 * 1024) - len(PDF))
    with pytest.raises(EvidenceError) as info:
        store.put(big, "big.pdf")
    assert str(info.value) == "文件 big.pdf 过大：6.2 MB，上限 5 MB"
    just_over = PDF + b"\x00" * (DEFAULT_MAX_BYTES + 1 - len(PDF))
    with pytest.raises(EvidenceError, match=r"过大：5\.1 MB，上限 5 MB$"):
        store.put(just_over, "c.pdf")
    at_limit = PDF + b"\x00" * (DEFAULT_MAX_BYTES - len(PDF))
    assert store.put(at_limit, "d.pdf").media_type == "application/pdf"
    assert list(tmp_path.rglob(".tmp-*")) == []


def test_limit_is_configurable_and_name_is_sanitised(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path, max_bytes=2 * 1024 * 1024)
    with pytest.raises(EvidenceError, match=r"^文件 evil\.pdf 过大：2\.5 MB，上限 2 MB$"):
        store.put(PDF + b"\x00" * (5 * 1024 * 1024 // 2 - len(PDF)), "../../etc/\nevil.pdf")
    with pytest.raises(ValueError):
        EvidenceStore(tmp_path, max_bytes=0)


def test_put_is_idempotent(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path)
    first = store.put(PNG, "a.png")
    path = store.path_for(first.sha256)
    before = path.stat().st_mtime_ns
    second = store.put(PNG, "b.png")
    assert first == second
    assert path.stat().st_mtime_ns == before
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == [path]


def test_corrupt_or_truncated_file_is_repaired_or_reported(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path)
    sha, _ = store.put(JPEG, "p.jpg")
    path = store.path_for(sha)
    path.write_bytes(JPEG[:5])
    assert store.put(JPEG, "p.jpg").sha256 == sha  # size differs: rewritten
    assert path.read_bytes() == JPEG
    path.write_bytes(bytes(len(JPEG)))
    with pytest.raises(EvidenceError, match="已损坏"):
        store.read(sha)


def test_path_for_refuses_anything_but_a_digest(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path)
    for bad in ("../../etc/passwd", "A" * 64, "ab" * 31):
        with pytest.raises(ValueError):
            store.path_for(bad)


def test_record_file_is_insert_if_absent(engine: Engine, tmp_path: Path) -> None:
    stored = EvidenceStore(tmp_path).put(PDF, "a.pdf")
    for _ in range(2):
        with transaction(engine) as session:
            record_file(session, stored.sha256, len(PDF), stored.media_type)
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(EvidenceFile)) == 1
        row = session.get(EvidenceFile, stored.sha256)
        assert row is not None and row.size == len(PDF) and row.media_type == "application/pdf"
