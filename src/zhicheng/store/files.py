"""Content-addressed storage of evidence files (证明材料).

A file is stored once under ``root/ab/cd/<sha256>`` (the first two byte pairs of its SHA-256
as folders), written atomically: a temporary file in the same folder, fsync, then rename.
Storing the same content again is a no-op.  The type is judged from the content (magic
bytes), never from the file name: only PDF, PNG and JPEG are accepted, up to a size limit
(5 MB by default, as on the Shandong platform).
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import tempfile
from pathlib import Path, PurePosixPath
from typing import NamedTuple

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from zhicheng.store.models import EvidenceFile
from zhicheng.store.types import utcnow

__all__ = [
    "DEFAULT_MAX_BYTES",
    "MEDIA_TYPES",
    "EvidenceError",
    "EvidenceStore",
    "StoredFile",
    "record_file",
    "sniff_media_type",
]

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
MEDIA_TYPES = ("application/pdf", "image/png", "image/jpeg")

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)
_SHA256_RE = re.compile(r"[0-9a-f]{64}")
_MB = 1024 * 1024


class EvidenceError(ValueError):
    """A file was refused; the message (Chinese) names the file and the reason."""


class StoredFile(NamedTuple):
    sha256: str
    media_type: str


def sniff_media_type(data: bytes) -> str | None:
    """``application/pdf``, ``image/png`` or ``image/jpeg`` from the leading bytes, else ``None``."""
    for signature, media_type in _SIGNATURES:
        if data.startswith(signature):
            return media_type
    return None


def _display_name(filename: str) -> str:
    """The last path component, without control characters, at most 100 characters."""
    name = PurePosixPath(filename.replace("\\", "/")).name
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    if len(name) > 100:
        name = name[:97] + "…"
    return name or "（无文件名）"


def _megabytes(size: int, *, round_up: bool) -> str:
    value = size / _MB
    value = math.ceil(value * 10) / 10 if round_up else round(value, 1)
    return f"{value:g} MB"


class EvidenceStore:
    """Evidence files under ``root``; ``max_bytes`` is the largest accepted file."""

    def __init__(self, root: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        if max_bytes <= 0:
            raise ValueError("max_bytes must be positive")
        self.root = Path(root)
        self.max_bytes = max_bytes

    def check(self, data: bytes, filename: str) -> str:
        """The media type of ``data``, or :class:`EvidenceError` if it must be refused."""
        name = _display_name(filename)
        if not data:
            raise EvidenceError(f"文件 {name} 为空")
        if len(data) > self.max_bytes:
            raise EvidenceError(
                f"文件 {name} 过大：{_megabytes(len(data), round_up=True)}，"
                f"上限 {_megabytes(self.max_bytes, round_up=False)}"
            )
        media_type = sniff_media_type(data)
        if media_type is None:
            raise EvidenceError(f"文件 {name} 的内容不是 PDF、JPG 或 PNG")
        return media_type

    def path_for(self, sha256: str) -> Path:
        """Where the file with this digest lives (whether or not it exists)."""
        if not _SHA256_RE.fullmatch(sha256):
            raise ValueError(f"not a lower-case hex SHA-256 digest: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, data: bytes, filename: str) -> StoredFile:
        """Check and store ``data``; return its SHA-256 (hex) and media type.

        ``filename`` is used only in error messages; the caller records it with the
        application (``ApplicationEvidence.filename``).
        """
        media_type = self.check(data, filename)
        digest = hashlib.sha256(data).hexdigest()
        target = self.path_for(digest)
        if target.is_file() and target.stat().st_size == len(data):
            return StoredFile(digest, media_type)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp_name, 0o640)
            os.replace(tmp_name, target)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        _fsync_dir(target.parent)
        return StoredFile(digest, media_type)

    def exists(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def read(self, sha256: str) -> bytes:
        """The stored content; raises :class:`FileNotFoundError` if absent, :class:`EvidenceError` if corrupt."""
        data = self.path_for(sha256).read_bytes()
        if hashlib.sha256(data).hexdigest() != sha256:
            raise EvidenceError(f"存储的文件 {sha256} 已损坏：内容与摘要不符")
        return data


def _fsync_dir(path: Path) -> None:
    """Make the rename durable (POSIX); silently skipped where directories cannot be opened."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def record_file(session: Session, sha256: str, size: int, media_type: str) -> None:
    """Insert the ``evidence_files`` row unless it exists (safe under concurrent uploads)."""
    values = {"sha256": sha256, "size": size, "media_type": media_type, "created_at": utcnow()}
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(postgresql.insert(EvidenceFile).values(values).on_conflict_do_nothing())
    elif dialect == "sqlite":
        session.execute(sqlite.insert(EvidenceFile).values(values).on_conflict_do_nothing())
    elif session.get(EvidenceFile, sha256) is None:  # pragma: no cover - other databases
        session.add(EvidenceFile(**values))
        session.flush()
