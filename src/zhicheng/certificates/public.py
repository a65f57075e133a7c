"""Public verification (网上查询验证): by the QR link (number + random token) or by number + name.

* Every look-up is rate-limited per client address (database buckets, shared by all processes) and
  logged in ``verification_log`` — found or not — with the address masked; the holder sees the log.
* The answer is minimal (:class:`~zhicheng.certificates.verify.PublicFields` and the status) and
  comes from really verifying the stored signed JSON against the published key set and the signed
  status list, so a row edited in the database shows up as ``invalid``, never as valid.
* A wrong token or name gives the same "not found" as an unknown number: nothing to enumerate.
* Look-ups never raise for "not found" (a refusal would roll back the log entry and the count);
  only an exhausted rate limit refuses (429, ``Retry-After``).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import secrets
import unicodedata
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhicheng.accounts.protect import PersonalDataProtector
from zhicheng.errors import DomainError, not_found
from zhicheng.store.models import Certificate, StatusListRecord, User, VerificationLogEntry, VerificationMethod
from zhicheng.workflow.rights import ROLE_NAMES
from zhicheng.workflow.service import Context

from .config import TrustSettings
from .keys import published_keyring
from .ratelimit import hit
from .verify import PublicFields, VerificationStatus, verify_certificate

__all__ = [
    "Client",
    "PublicVerification",
    "RateLimitedError",
    "VerificationLogRow",
    "client_for",
    "mask_ip",
    "published_keys",
    "status_list_document",
    "verification_log",
    "verify_by_link",
    "verify_by_name",
]

OUTCOME_LABELS = {
    "valid": "有效",
    "suspended": "已暂停",
    "revoked": "已撤销",
    "not_found": "未找到",
    "mismatch": "信息不符（未显示证书）",
    "invalid": "数据校验失败",
}
METHOD_LABELS = {"link": "扫码或核验网址", "number_name": "证书编号 + 姓名"}
NOT_FOUND = "未找到与输入相符的证书：请核对证书编号和姓名，或重新扫描证书上的二维码。"
_NUMBER_RE = re.compile(r"[A-Z0-9]{1,32}")


class RateLimitedError(DomainError):
    """429 with ``Retry-After`` (the API turns ``headers`` into response headers)."""

    def __init__(self, retry_after: int) -> None:
        minutes = max(1, round(retry_after / 60))
        super().__init__(429, "rate_limited", f"查询过于频繁，请约{minutes}分钟后再试")
        self.headers = {"Retry-After": str(retry_after)}


@dataclass(frozen=True)
class Client:
    """Who is looking: the masked address (stored), a keyed hash of it (rate limit), the browser,
    and the signed-in user if any."""

    masked_ip: str
    key: str
    user_agent: str | None = None
    user_id: int | None = None
    name: str | None = None


def mask_ip(address: str) -> str:
    """``203.0.*.*`` / ``2001:db8:*``: enough for a holder to tell places apart, not to find a person."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return "未知"
    if isinstance(ip, ipaddress.IPv4Address):
        a, b, _, _ = str(ip).split(".")
        return f"{a}.{b}.*.*"
    groups = ip.exploded.split(":")
    return f"{int(groups[0], 16):x}:{int(groups[1], 16):x}:*"


def client_for(
    address: str, user_agent: str | None, protector: PersonalDataProtector, user: User | None = None
) -> Client:
    """Build the :class:`Client` of a request (the address itself is never stored)."""
    name = None if user is None else f"{user.display_name}（{ROLE_NAMES.get(user.role, user.role)}）"
    agent = (user_agent or "").strip()[:200] or None
    return Client(
        masked_ip=mask_ip(address),
        key=protector.blind_index(address or "unknown", field="client_ip"),
        user_agent=agent,
        user_id=None if user is None else user.id,
        name=name,
    )


class PublicVerification(BaseModel):
    outcome: str = Field(description="valid 有效、suspended 暂停、revoked 撤销、not_found 未找到、invalid 数据校验失败")
    valid: bool
    message: str
    certificate: PublicFields | None = Field(None, description="只在找到证书且签名真实时给出的最少字段")
    status_list_updated: str | None = None
    kid: str | None = None
    checked_at: dt.datetime


def _normal(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def _limit(session: Session, trust: TrustSettings, client: Client, now: dt.datetime) -> None:
    decision = hit(session, f"verify:{client.key}", limit=trust.verify_limit, window=trust.verify_window, now=now)
    if not decision.allowed:
        raise RateLimitedError(decision.retry_after)


def _log(
    session: Session,
    client: Client,
    method: VerificationMethod,
    outcome: str,
    now: dt.datetime,
    cert: Certificate | None,
    query_number: str,
) -> None:
    session.add(
        VerificationLogEntry(
            certificate_id=None if cert is None else cert.id,
            query_number=query_number if _NUMBER_RE.fullmatch(query_number) else None,
            method=method.value,
            outcome=outcome,
            client_ip_masked=client.masked_ip,
            user_agent=client.user_agent,
            verifier_user_id=client.user_id,
            verifier_name=client.name,
            created_at=now,
        )
    )
    session.flush()


def _check(session: Session, cert: Certificate, now: dt.datetime) -> PublicVerification:
    """Verify the stored signed JSON against the published keys and the signed status list."""
    record = session.get(StatusListRecord, cert.status_list_id)
    result = verify_certificate(
        cert.signed_json.encode("utf-8"),
        published_keyring(session),
        None if record is None else record.document.encode("utf-8"),
    )
    if result.status in (VerificationStatus.VALID, VerificationStatus.SUSPENDED, VerificationStatus.REVOKED) and (
        result.status_checked
    ):
        return PublicVerification(
            outcome=result.status.value,
            valid=result.valid,
            message=result.message,
            certificate=result.fields,
            status_list_updated=result.status_list_updated,
            kid=result.kid,
            checked_at=now,
        )
    return PublicVerification(
        outcome="invalid",
        valid=False,
        message="证书数据校验失败，不能确认真伪，请联系发证机关。",
        checked_at=now,
    )


def _lookup(
    session: Session,
    trust: TrustSettings,
    client: Client,
    now: dt.datetime,
    method: VerificationMethod,
    number: str,
    matches: Any,
) -> PublicVerification:
    _limit(session, trust, client, now)
    number = _normal(number).upper()
    cert = session.scalar(select(Certificate).where(Certificate.number == number)) if number else None
    if cert is None or not matches(cert):
        _log(session, client, method, "not_found" if cert is None else "mismatch", now, cert, number)
        return PublicVerification(outcome="not_found", valid=False, message=NOT_FOUND, checked_at=now)
    answer = _check(session, cert, now)
    _log(session, client, method, answer.outcome, now, cert, number)
    return answer


def verify_by_link(
    session: Session, trust: TrustSettings, *, number: str, token: str, client: Client, now: dt.datetime
) -> PublicVerification:
    """The QR code / verification URL ``/verify/<number>?t=<token>``."""
    return _lookup(
        session,
        trust,
        client,
        now,
        VerificationMethod.LINK,
        number,
        lambda cert: secrets.compare_digest(cert.token.encode(), _normal(token).encode()),
    )


def verify_by_name(
    session: Session, trust: TrustSettings, *, number: str, name: str, client: Client, now: dt.datetime
) -> PublicVerification:
    """Certificate number plus the holder's name, as printed on the certificate."""
    return _lookup(
        session,
        trust,
        client,
        now,
        VerificationMethod.NUMBER_NAME,
        number,
        lambda cert: bool(name.strip()) and _normal(cert.holder_name) == _normal(name),
    )


# ---------------------------------------------------------------- published documents


def published_keys(session: Session) -> dict[str, Any]:
    """The published key set (公钥列表), retired keys included: ``{"keys": [{kid, alg, public_key, …}]}``."""
    return published_keyring(session).to_document()


def status_list_document(session: Session, list_id: str) -> bytes:
    """The signed status list exactly as last published (canonical JSON bytes)."""
    record = session.get(StatusListRecord, list_id)
    if record is None:
        raise not_found("状态列表")
    return record.document.encode("utf-8")


# ---------------------------------------------------------------- the holder's view of look-ups


class VerificationLogRow(BaseModel):
    at: dt.datetime
    method: str
    method_label: str
    outcome: str
    outcome_label: str
    client_ip_masked: str = Field(description="核验方网络地址（已隐去后两段）")
    verifier: str = Field(description="登录用户的姓名或单位；未登录为“公众（未登录）”")
    user_agent: str | None


def verification_log(
    ctx: Context, number: str, *, offset: int = 0, limit: int = 20
) -> tuple[int, list[VerificationLogRow]]:
    """Who looked up the holder's certificate and when, newest first (the holder only)."""
    cert = ctx.session.scalar(select(Certificate).where(Certificate.number == number))
    if cert is None or not ctx.rights.can_read_verification_log(cert.holder_id):
        raise not_found("证书核验记录")
    where = VerificationLogEntry.certificate_id == cert.id
    total = ctx.session.scalar(select(func.count(VerificationLogEntry.id)).where(where)) or 0
    rows = ctx.session.scalars(
        select(VerificationLogEntry)
        .where(where)
        .order_by(VerificationLogEntry.created_at.desc(), VerificationLogEntry.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return total, [
        VerificationLogRow(
            at=r.created_at,
            method=r.method,
            method_label=METHOD_LABELS.get(r.method, r.method),
            outcome=r.outcome,
            outcome_label=OUTCOME_LABELS.get(r.outcome, r.outcome),
            client_ip_masked=r.client_ip_masked,
            verifier=r.verifier_name or "公众（未登录）",
            user_agent=r.user_agent,
        )
        for r in rows
    ]
