"""Commands ``zhicheng verify FILE`` (offline verification) and ``zhicheng keys generate|list|export``.

``verify`` needs no database: the published key set and the status list are given as files or URLs
(never taken from the certificate itself — a forged certificate would name a forged key set).
Exit codes: 0 valid, 1 not valid (any edited byte, unknown key, suspended, revoked…), 2 bad input.
"""

from __future__ import annotations

import datetime as dt
import urllib.request
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from .config import TrustSettings
from .pdf import verify_pdf
from .signing import BEIJING, KeyRing, KeyRingError
from .verify import VerificationResult, verify_certificate

__all__ = ["keys_app", "verify_command"]

MAX_DOWNLOAD = 16 * 1024 * 1024
STATUS_NAMES = {
    "valid": "有效",
    "suspended": "已暂停",
    "revoked": "已撤销",
    "invalid_signature": "签名无效（内容被改动或伪造）",
    "unknown_key": "无法验证（签名密钥不在公钥列表中）",
    "malformed": "格式无效",
}


def _read(source: str, what: str) -> bytes:
    """A file, or an http(s) URL (e.g. https://host/api/verify/keys)."""
    from zhicheng.cli import fail

    try:
        if source.startswith(("http://", "https://")):
            with urllib.request.urlopen(source, timeout=15) as response:  # http(s) only, checked above
                data: bytes = response.read(MAX_DOWNLOAD + 1)
            if len(data) > MAX_DOWNLOAD:
                raise fail(f"{what}过大：{source}")
            return data
        return Path(source).read_bytes()
    except OSError as exc:
        raise fail(f"无法读取{what} {source}：{exc}") from None


def verify_command(
    file: Annotated[Path, typer.Argument(help="证书文件：签名的 JSON（*.json）或 PDF")],
    keys: Annotated[str, typer.Option("--keys", help="公钥列表：文件或网址，如 https://主机/api/verify/keys")],
    status: Annotated[
        str | None,
        typer.Option("--status", help="状态列表：文件或网址，如 https://主机/api/verify/status-lists/zc-0001"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出核验结果")] = False,
) -> None:
    """离线核验电子证书：签名、密钥有效期、（给出状态列表时）是否被暂停或撤销。有效退出码 0，无效 1，输入有误 2。"""
    from zhicheng.cli import console, fail

    data = _read(str(file), "证书文件")
    try:
        keyring = KeyRing.from_json(_read(keys, "公钥列表"))
    except KeyRingError as exc:
        raise fail(str(exc)) from None
    status_doc = _read(status, "状态列表") if status else None
    result: VerificationResult = (
        verify_pdf(data, keyring, status_doc)
        if data.startswith(b"%PDF")
        else verify_certificate(data, keyring, status_doc)
    )
    if as_json:
        console.print_json(result.model_dump_json())
    else:
        colour = "green" if result.valid else "red"
        console.print(f"[{colour}]{'✔' if result.valid else '✘'} {STATUS_NAMES[result.status.value]}[/{colour}]")
        console.print(result.message, highlight=False, markup=False)
        if result.fields is not None:
            f = result.fields
            for label, value in (
                ("姓名", f.holder_name),
                ("证件号码", f.id_number_masked),
                ("资格名称", f.title_name),
                ("专业", f.specialty),
                ("取得资格时间", f.qualification_date),
                ("证书编号", f.certificate_number),
                ("发证机关", f.issuer),
            ):
                console.print(f"  {label}：{value}", highlight=False, markup=False)
        if result.kid:
            console.print(f"  签名密钥：{result.alg} {result.kid}", highlight=False, markup=False)
        if result.valid and not result.status_checked:
            console.print("[yellow]未检查吊销/暂停状态：请用 --status 提供状态列表[/yellow]")
    raise typer.Exit(0 if result.valid else 1)


# ---------------------------------------------------------------- keys

keys_app = typer.Typer(help="证书签名密钥：生成（轮换）、列出、导出公钥列表与状态列表", no_args_is_help=True)


def _trust() -> TrustSettings:
    from zhicheng.cli import _data_dir

    return TrustSettings.from_env(_data_dir())


@keys_app.command("generate")
def keys_generate(
    kid: Annotated[str | None, typer.Option("--kid", help="密钥标识，默认 zc-<日期>-<随机>")] = None,
) -> None:
    """生成新的 Ed25519 密钥对并发布公钥（自今日起启用），其余在用密钥今日停用：即密钥轮换。旧证书仍可核验。"""
    from zhicheng.cli import _engine, console, fail
    from zhicheng.errors import DomainError
    from zhicheng.store.db import transaction

    from .keys import rotate_key

    trust = _trust()
    today = dt.datetime.now(BEIJING).date()
    try:
        with transaction(_engine()) as s:
            row = rotate_key(s, trust.keys, today, kid=kid, role="admin")
            kid_, valid_from = row.kid, row.valid_from
    except (DomainError, ValueError) as exc:
        raise fail(getattr(exc, "message", str(exc))) from None
    console.print(kid_)
    console.print(
        f"新密钥 {kid_} 自 {valid_from.isoformat()} 起签发证书；"
        f"私钥：{trust.keys.path(kid_)}（请备份并挂载到每台服务器）",
        highlight=False,
    )


@keys_app.command("list")
def keys_list() -> None:
    """列出已发布的密钥（含已停用的）及本机是否持有私钥。"""
    from zhicheng.cli import _engine, console
    from zhicheng.store.db import transaction

    from .keys import list_keys

    trust = _trust()
    with transaction(_engine(), readonly=True) as s:
        keys = list_keys(s, trust.keys)
    table = Table(title=f"证书签名密钥（私钥目录 {trust.key_dir}）")
    for col in ("密钥标识", "算法", "启用", "停用", "本机私钥", "状态"):
        table.add_column(col)
    for k in keys:
        state = "在用" if k.retired_at is None else "已停用（旧证书仍可核验）"
        table.add_row(
            k.kid,
            k.alg,
            k.valid_from.isoformat(),
            k.retired_at.isoformat() if k.retired_at else "—",
            "有" if k.has_private_key else "无",
            state,
        )
    console.print(table)
    if not keys:
        console.print("尚未发布密钥：运行 zhicheng keys generate（首次发证时也会自动生成）。")


@keys_app.command("export")
def keys_export(
    folder: Annotated[Path, typer.Argument(help="输出目录：写入 keys.json 和每张状态列表 status-<id>.json")],
) -> None:
    """导出公钥列表和签名的状态列表，供离线核验或发布到静态网站。"""
    from sqlalchemy import select

    from zhicheng.cli import _engine, console
    from zhicheng.store.db import transaction
    from zhicheng.store.models import StatusListRecord

    from .keys import published_keyring

    folder.mkdir(parents=True, exist_ok=True)
    with transaction(_engine(), readonly=True) as s:
        (folder / "keys.json").write_bytes(published_keyring(s).to_json())
        lists = [(r.id, r.document) for r in s.scalars(select(StatusListRecord).order_by(StatusListRecord.id))]
    for list_id, document in lists:
        (folder / f"status-{list_id}.json").write_bytes(document.encode("utf-8"))
    console.print(f"已导出到 {folder}：keys.json，{len(lists)} 张状态列表", highlight=False)
    for list_id, _ in lists:
        console.print(f"  status-{list_id}.json", highlight=False)
