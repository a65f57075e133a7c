"""PDF rendering: Chinese text, QR code, embedded JSON, tamper evidence, determinism."""

from __future__ import annotations

import base64
import datetime as dt
import re
import shutil
import subprocess
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhicheng.certificates import (
    CertificateData,
    Ed25519Signer,
    KeyRing,
    SignedCertificate,
    StatusList,
    VerificationStatus,
    render_certificate_pdf,
    sign_certificate,
    verify_pdf,
)
from zhicheng.certificates.pdf import (
    PdfSignatureError,
    extract_certificate_json,
    sign_pdf,
    split_pdf_signature,
)

UPDATED = dt.datetime(2025, 7, 16, tzinfo=dt.UTC)
MakeData = Callable[..., CertificateData]


@pytest.fixture(scope="module")
def pdf(signed: SignedCertificate, k1: Ed25519Signer) -> bytes:
    return render_certificate_pdf(signed, k1)


def _unescape_literal(raw: bytes) -> bytes:
    out = bytearray()
    i = 0
    simple = {ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t", ord("b"): b"\b", ord("f"): b"\f"}
    while i < len(raw):
        ch = raw[i]
        if ch != 0x5C:
            out.append(ch)
            i += 1
            continue
        nxt = raw[i + 1]
        if nxt in simple:
            out += simple[nxt]
            i += 2
        elif 0x30 <= nxt <= 0x37:
            digits = re.match(rb"[0-7]{1,3}", raw[i + 1 : i + 4])
            assert digits is not None
            out.append(int(digits.group(), 8) & 0xFF)
            i += 1 + len(digits.group())
        else:
            out.append(nxt)
            i += 2
    return bytes(out)


def _page_text_by_parsing(pdf_bytes: bytes) -> str:
    """Decode the page's text strings without external tools (ASCII85+Flate, UCS-2 CID text)."""
    texts: list[str] = []
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", pdf_bytes, re.S):
        data = match.group(1).strip()
        if data.endswith(b"~>"):
            data = data[:-2]
        content = zlib.decompress(base64.a85decode(data))
        if b" Tj" not in content:
            continue
        for literal in re.finditer(rb"\(((?:\\.|[^\\)])*)\) Tj", content, re.S):
            raw = _unescape_literal(literal.group(1))
            try:
                texts.append(raw.decode("utf-16-be") if len(raw) % 2 == 0 else raw.decode("latin-1"))
            except UnicodeDecodeError:
                texts.append(raw.decode("latin-1"))
            texts.append(raw.decode("latin-1"))
    return "\n".join(texts)


def test_pdf_is_one_a4_page_with_signature_line(pdf: bytes) -> None:
    assert pdf.startswith(b"%PDF-")
    assert pdf.count(b"/Type /Page\n") == 1
    assert b"/MediaBox [ 0 0 595.2756 841.8898 ]" in pdf
    assert b"/BaseFont /STSong-Light" in pdf
    assert re.search(rb"%%EOF\n%ZHICHENG-SIG Ed25519 bj-2025-01 [A-Za-z0-9_-]{86}\n\Z", pdf)


def test_pdf_contains_chinese_text_by_parsing(pdf: bytes) -> None:
    text = _page_text_by_parsing(pdf)
    for expected in (
        "电子证书",
        "张三",
        "高级工程师",
        "人工智能",
        "北京市人力资源和社会保障局",
        "bj-2025-01",
        "ZC110000202540012346",
    ):
        assert expected in text, expected


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) not installed")
def test_pdf_contains_chinese_text_pdftotext(pdf: bytes, tmp_path: Path) -> None:
    path = tmp_path / "c.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True
    ).stdout.decode()
    for expected in ("电子证书", "张三", "高级工程师（副高级）", "人工智能", "2025年6月30日", "bj-2025-01", "Ed25519"):
        assert expected in text, expected
    assert "11010519491231" not in text


@pytest.mark.skipif(
    shutil.which("pdftoppm") is None or shutil.which("zbarimg") is None,
    reason="pdftoppm (poppler-utils) and zbarimg (zbar-tools) needed to decode the QR code",
)
def test_qr_code_decodes_to_verification_url(pdf: bytes, data: CertificateData, tmp_path: Path) -> None:
    path = tmp_path / "c.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(path), str(tmp_path / "page")], check=True)
    png = next(tmp_path.glob("page*.png"))
    out = subprocess.run(["zbarimg", "-q", "--raw", str(png)], capture_output=True, check=True).stdout.decode()
    assert out.strip() == data.verification_url


def test_verify_pdf_valid(pdf: bytes, keyring: KeyRing, signed_json: bytes) -> None:
    result = verify_pdf(pdf, keyring)
    assert result.valid and result.status is VerificationStatus.VALID, result.message
    assert result.fields is not None and result.fields.holder_name == "张三"
    body, alg, kid, _ = split_pdf_signature(pdf)
    assert (alg, kid) == ("Ed25519", "bj-2025-01")
    assert extract_certificate_json(body) == signed_json


def test_pdf_is_deterministic(signed: SignedCertificate, k1: Ed25519Signer, pdf: bytes) -> None:
    assert render_certificate_pdf(signed, k1) == pdf
    assert b"/CreationDate (D:20250715000000+08'00')" in pdf


def test_pdf_status(pdf: bytes, keyring: KeyRing, k1: Ed25519Signer) -> None:
    status = StatusList("bj-2025")
    status.revoke(42)
    result = verify_pdf(pdf, keyring, status.to_json(k1, UPDATED))
    assert result.status is VerificationStatus.REVOKED and not result.valid


def test_every_byte_flip_of_pdf_fails(pdf: bytes, keyring: KeyRing) -> None:
    for i in range(len(pdf)):
        tampered = pdf[:i] + bytes([pdf[i] ^ 0x01]) + pdf[i + 1 :]
        assert not verify_pdf(tampered, keyring).valid, i


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(
    position=st.integers(min_value=0), value=st.integers(0, 255), mode=st.sampled_from(["replace", "insert", "delete"])
)
def test_random_pdf_edits_never_valid(pdf: bytes, keyring: KeyRing, position: int, value: int, mode: str) -> None:
    i = position % len(pdf)
    if mode == "replace":
        if pdf[i] == value:
            return
        tampered = pdf[:i] + bytes([value]) + pdf[i + 1 :]
    elif mode == "insert":
        tampered = pdf[:i] + bytes([value]) + pdf[i:]
    else:
        tampered = pdf[:i] + pdf[i + 1 :]
    assert not verify_pdf(tampered, keyring).valid


def test_appended_or_stripped_signature_fails(pdf: bytes, keyring: KeyRing, k2: Ed25519Signer) -> None:
    assert verify_pdf(pdf + b"\n", keyring).status is VerificationStatus.MALFORMED
    body, *_ = split_pdf_signature(pdf)
    assert verify_pdf(body, keyring).status is VerificationStatus.MALFORMED
    # re-signed by a key the verifier does not know
    result = verify_pdf(sign_pdf(body, k2), keyring)
    assert result.status is VerificationStatus.UNKNOWN_KEY and "bj-2026-01" in result.message
    with pytest.raises(PdfSignatureError):
        sign_pdf(pdf, k2)  # already signed


def test_pdf_with_genuine_wrapper_but_forged_certificate_fails(
    make_cert_data: MakeData, k1: Ed25519Signer, keyring: KeyRing
) -> None:
    """A PDF whose embedded JSON was signed by an unknown key fails even if the file is re-signed."""
    rogue = Ed25519Signer.from_seed(bytes(32), "rogue")
    forged = sign_certificate(make_cert_data(holder_name="李四"), rogue, UPDATED)
    result = verify_pdf(render_certificate_pdf(forged, k1), keyring)
    assert result.status is VerificationStatus.UNKNOWN_KEY


def test_pdf_after_rotation(signed: SignedCertificate, k1: Ed25519Signer, k2: Ed25519Signer) -> None:
    """An old certificate re-rendered with the new key after rotation: both signatures check out."""
    ring = KeyRing()
    ring.add_signer(k1, dt.date(2025, 1, 1))
    ring.add_signer(k2, dt.date(2026, 1, 1))
    ring.retire(k1.key_id, dt.date(2025, 12, 31))
    again = render_certificate_pdf(signed, k2)
    assert split_pdf_signature(again)[2] == k2.key_id
    result = verify_pdf(again, ring)
    assert result.valid and result.kid == k1.key_id


def test_long_names_and_rare_characters_render(make_cert_data: MakeData, k1: Ed25519Signer, keyring: KeyRing) -> None:
    cert = sign_certificate(
        make_cert_data(holder_name="阿依古丽·买买提\U00020bb7", committee_name="评" * 100, issuer="局" * 100),
        k1,
        UPDATED,
    )
    pdf = render_certificate_pdf(cert, k1)
    assert verify_pdf(pdf, keyring).fields.holder_name == "阿依古丽·买买提\U00020bb7"  # type: ignore[union-attr]
    text = _page_text_by_parsing(pdf)
    assert "阿依古丽\u30fb买买提\u25a1" in text  # display substitutes only
    assert "生僻字" in text
