"""Signing keys: private halves in a key folder, the published key set in the database.

* The private key of ``kid`` is the file ``<key dir>/<kid>.pem`` (PKCS#8, mode 0600), loaded by the
  loader registered for the key's algorithm (Ed25519 today; an SM2 loader — e.g. one that talks to a
  hardware module and never reads a file — plugs in with :func:`register_signer_loader`).
* The published key set (``signing_keys``) holds every public key ever used, retired ones included,
  so a certificate signed before a rotation keeps verifying.  It is served to verifiers as the
  :class:`~zhicheng.certificates.signing.KeyRing` document.
* Rotation (``zhicheng keys generate``): a new key is written and published valid from today, every
  other active key is retired today (dates inclusive, Beijing time), so both cover today's work.
* First use with no published key generates one (like the development secret key), so a fresh
  install can issue at once; production runs ``zhicheng keys generate`` and backs the folder up.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from zhicheng.errors import DomainError
from zhicheng.store import audit
from zhicheng.store.models import SigningKey

from .signing import BEIJING, ED25519, Ed25519Signer, KeyRing, PublishedKey, Signer, generate_key_files

__all__ = [
    "KeyInfo",
    "KeyStore",
    "current_signer",
    "list_keys",
    "new_key_id",
    "publish_key",
    "published_keyring",
    "register_signer_loader",
    "rotate_key",
]

SignerLoader = Callable[[Path, str], Signer]
"""``loader(private key file, kid) -> Signer``."""

_LOADERS: dict[str, SignerLoader] = {ED25519: lambda path, kid: Ed25519Signer.from_pem_file(path, kid)}


def register_signer_loader(alg: str, loader: SignerLoader) -> None:
    """Teach the key store another algorithm (e.g. ``"SM2"``); see docs/certificates.md §7."""
    _LOADERS[alg] = loader


class KeyStore:
    """The folder of private keys; one ``<kid>.pem`` per key (and ``<kid>.pub.pem`` for convenience)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def path(self, kid: str) -> Path:
        return self.folder / f"{kid}.pem"

    def has(self, kid: str) -> bool:
        return self.path(kid).is_file()

    def load(self, kid: str, alg: str = ED25519) -> Signer:
        loader = _LOADERS.get(alg)
        if loader is None:
            raise DomainError(503, "signing_algorithm_unavailable", f"本机未安装 {alg} 签名实现，无法使用密钥 {kid}")
        return loader(self.path(kid), kid)

    def generate(self, kid: str) -> Ed25519Signer:
        """A new Ed25519 key pair in the folder (refuses to overwrite an existing key)."""
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        generate_key_files(self.path(kid), kid, public_key_path=self.folder / f"{kid}.pub.pem")
        return Ed25519Signer.from_pem_file(self.path(kid), kid)

    def kids(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        return sorted(p.name[: -len(".pem")] for p in self.folder.glob("*.pem") if not p.name.endswith(".pub.pem"))


def new_key_id(today: dt.date) -> str:
    """Readable and unique: ``zc-20261207-3fa2``."""
    return f"zc-{today:%Y%m%d}-{secrets.token_hex(2)}"


# ---------------------------------------------------------------- the published key set


def published_keyring(session: Session) -> KeyRing:
    """Every published key, retired ones included (what verifiers download)."""
    rows = session.scalars(select(SigningKey).order_by(SigningKey.valid_from, SigningKey.kid))
    return KeyRing(
        PublishedKey(kid=k.kid, alg=k.alg, public_key=k.public_key, valid_from=k.valid_from, retired_at=k.retired_at)
        for k in rows
    )


def _audit(session: Session, actor_id: int | None, role: str, action: str, kid: str, payload: dict[str, str]) -> None:
    audit.append(
        session,
        actor_id=actor_id or None,
        role=role,
        action=action,
        entity="signing_key",
        entity_id=kid,
        payload=payload,
    )


def publish_key(
    session: Session, signer: Signer, valid_from: dt.date, *, actor_id: int | None = None, role: str = "system"
) -> SigningKey:
    """Add the public half of ``signer`` to the published key set."""
    if session.get(SigningKey, signer.key_id) is not None:
        raise DomainError(409, "conflict", f"密钥标识 {signer.key_id} 已发布")
    row = SigningKey(
        kid=signer.key_id,
        alg=signer.algorithm,
        public_key=signer.public_key_b64(),
        valid_from=valid_from,
        created_by=actor_id or None,
    )
    session.add(row)
    session.flush()
    _audit(session, actor_id, role, "publish_key", row.kid, {"alg": row.alg, "valid_from": valid_from.isoformat()})
    return row


def rotate_key(
    session: Session,
    store: KeyStore,
    today: dt.date,
    *,
    kid: str | None = None,
    actor_id: int | None = None,
    role: str = "system",
) -> SigningKey:
    """Generate and publish a new key valid from ``today``; retire every other active key on ``today``."""
    kid = kid or new_key_id(today)
    if session.get(SigningKey, kid) is not None or store.has(kid):
        raise DomainError(409, "conflict", f"密钥标识 {kid} 已存在，请换一个")
    signer = store.generate(kid)
    active = list(session.scalars(select(SigningKey).where(SigningKey.retired_at.is_(None))))
    row = publish_key(session, signer, today, actor_id=actor_id, role=role)
    for old in active:
        retired = max(today, old.valid_from)  # never before the key's first day
        session.execute(
            update(SigningKey)
            .where(SigningKey.kid == old.kid, SigningKey.retired_at.is_(None))
            .values(retired_at=retired)
            .execution_options(synchronize_session=False)
        )
        _audit(session, actor_id, role, "retire_key", old.kid, {"retired_at": retired.isoformat(), "successor": kid})
    session.expire_all()
    return row


def current_signer(
    session: Session, store: KeyStore, today: dt.date, *, now: dt.datetime | None = None, actor_id: int | None = None
) -> Signer:
    """The key that signs today: the newest active published key whose private half this host holds.

    With no published key at all, one is generated and published (first run), valid from the earlier of
    ``today`` and ``now``'s Beijing date, so that signatures stamped ``now`` fall inside its window."""
    active = list(
        session.scalars(
            select(SigningKey)
            .where(SigningKey.retired_at.is_(None), SigningKey.valid_from <= today)
            .order_by(SigningKey.valid_from.desc(), SigningKey.created_at.desc())
        )
    )
    for key in active:
        if store.has(key.kid):
            return store.load(key.kid, key.alg)
    if active:
        raise DomainError(
            503,
            "signing_key_unavailable",
            f"本机缺少当前签名密钥 {active[0].kid} 的私钥文件（应在 {store.folder}），请把密钥目录挂载到每台服务器",
        )
    if session.scalar(select(SigningKey.kid).limit(1)) is not None:
        raise DomainError(
            503, "signing_key_unavailable", "没有可用的签名密钥（全部已停用），请运行 zhicheng keys generate"
        )
    first_day = today if now is None else min(today, now.astimezone(BEIJING).date())
    row = rotate_key(session, store, first_day, actor_id=actor_id)
    return store.load(row.kid, row.alg)


@dataclass(frozen=True)
class KeyInfo:
    kid: str
    alg: str
    valid_from: dt.date
    retired_at: dt.date | None
    has_private_key: bool  # on this host


def list_keys(session: Session, store: KeyStore) -> list[KeyInfo]:
    rows = session.scalars(select(SigningKey).order_by(SigningKey.valid_from, SigningKey.created_at))
    return [KeyInfo(k.kid, k.alg, k.valid_from, k.retired_at, store.has(k.kid)) for k in rows]
