"""One-page A4 PDF rendering of a signed certificate, made tamper-evident.

Why these choices:

* Font: reportlab's built-in CID font ``STSong-Light`` (Adobe-GB1).  Nothing is downloaded
  or embedded; every PDF viewer ships a substitute for it, and text extraction (search,
  copy, pdftotext) yields real Chinese characters.
* The signed certificate JSON (canonical bytes, base64url) is stored in the document
  information dictionary's ``/Keywords`` as ``zhicheng.certificate.v1:<base64url>``.
  reportlab has no embedded-file API, but the info dictionary is supported, uncompressed
  and easy to find again; the JSON keeps its own signature, so the PDF is a carrier only.
* Tamper evidence for the file itself: after reportlab's final ``%%EOF`` we append one line
  ``%ZHICHENG-SIG <alg> <kid> <base64url signature over all preceding bytes>\\n``.  PDF
  readers ignore trailing comments, and any edited byte — before or in that line — fails.
  (This is not a PAdES signature that Acrobat shows; it is checked by :func:`verify_pdf`.)
* Deterministic output: ``invariant=1`` plus a creation date taken from the certificate's
  issue date, so re-rendering the same certificate with the same key gives the same bytes
  (reportlab also honours ``SOURCE_DATE_EPOCH`` in its document id).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any, Final

import qrcode
import qrcode.constants
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from .canonical import b64url_decode, b64url_encode
from .model import CERTIFICATE_FORMAT, SignedCertificate
from .signing import KeyRing, SignatureVerificationError, Signer, UnknownKeyError
from .status import StatusList
from .verify import VerificationResult, VerificationStatus, verify_certificate

__all__ = [
    "PDF_SIGNATURE_PREFIX",
    "PdfSignatureError",
    "extract_certificate_json",
    "render_certificate_pdf",
    "sign_pdf",
    "split_pdf_signature",
    "verify_pdf",
]

CJK_FONT: Final = "STSong-Light"
LATIN_FONT: Final = "Helvetica"
PDF_SIGNATURE_PREFIX: Final = b"%ZHICHENG-SIG "
_EOF: Final = b"%%EOF\n"
_SIG_LINE_RE: Final = re.compile(
    rb"%ZHICHENG-SIG ([A-Za-z0-9][A-Za-z0-9._-]{0,31})"  # alg
    rb" ([A-Za-z0-9][A-Za-z0-9._:-]{0,63})"  # kid (KEY_ID_PATTERN)
    rb" ([A-Za-z0-9_-]{1,5500})\n"  # base64url signature
)
_KEYWORDS_PREFIX: Final = CERTIFICATE_FORMAT + ":"
_KEYWORDS_RE: Final = re.compile(rb"/Keywords \(" + re.escape(_KEYWORDS_PREFIX.encode()) + rb"([A-Za-z0-9_-]+)\)")

_RED: Final = HexColor("#9B1B1B")
_GREY: Final = HexColor("#555555")
_BLACK: Final = HexColor("#111111")


class PdfSignatureError(ValueError):
    """The PDF has no well-formed ``%ZHICHENG-SIG`` line or no embedded certificate."""


def _ensure_font() -> None:
    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))


_DISPLAY_SUBSTITUTES: Final = {
    # STSong-Light (Adobe-GB1 via UniGB-UCS2-H) has no glyph for these; the katakana middle
    # dot is the GB 2312 "·" used in names such as 阿依古丽·买买提, and extracts as U+00B7.
    "\u00b7": "\u30fb",
    "\u2022": "\u30fb",
    "\u2027": "\u30fb",
    "\u22c5": "\u30fb",
}
MISSING_GLYPH: Final = "\u25a1"
"""Shown for characters outside the BMP (rare CJK Ext. B+ characters), which the UCS-2 CID
encoding cannot address; the signed JSON and the verification page keep the real text."""


def _display(text: str) -> str:
    """Text as drawn on the page; the signed data is never changed."""
    return "".join(MISSING_GLYPH if ord(ch) > 0xFFFF else _DISPLAY_SUBSTITUTES.get(ch, ch) for ch in text)


def _chinese_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Greedy wrap by rendered width; CJK text has no spaces, so break between any chars."""
    lines: list[str] = []
    current = ""
    for ch in text:
        if current and pdfmetrics.stringWidth(current + ch, font, size) > width:
            lines.append(current)
            current = ch
        else:
            current += ch
    if current:
        lines.append(current)
    return lines or [""]


def _qr_image(url: str) -> ImageReader:
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=8, border=4)
    qr.add_data(url)
    qr.make(fit=True)
    image = qr.make_image(fill_color="black", back_color="white").get_image().convert("L")
    return ImageReader(image)


def _font_for(text: str) -> str:
    return LATIN_FONT if text.isascii() else CJK_FONT


def _draw_page(pdf: canvas.Canvas, signed: SignedCertificate, pdf_kid: str, pdf_alg: str) -> None:
    cert = signed.data
    width, height = A4

    # frame
    pdf.setStrokeColor(_RED)
    pdf.setLineWidth(2.2)
    pdf.rect(28, 28, width - 56, height - 56)
    pdf.setLineWidth(0.6)
    pdf.rect(35, 35, width - 70, height - 70)

    # heading
    pdf.setFillColor(_RED)
    pdf.setFont(CJK_FONT, 34)
    pdf.drawCentredString(width / 2, height - 112, "电子证书")
    pdf.setFillColor(_GREY)
    pdf.setFont(CJK_FONT, 14)
    pdf.drawCentredString(width / 2, height - 140, _display(f"专业技术资格证书\u3000{cert.series}系列"))
    pdf.setStrokeColor(_RED)
    pdf.setLineWidth(0.8)
    pdf.line(70, height - 158, width - 70, height - 158)

    rows: list[tuple[str, str]] = [
        ("姓　　名", cert.holder_name),
        ("证件号码", cert.id_number_masked),
        ("资格名称", f"{cert.title_name}（{cert.level_grade_name}）"),
        ("系　　列", cert.series),
        ("专　　业", cert.specialty),
        ("取得资格时间", _chinese_date(cert.qualification_date)),
        ("评审委员会", cert.committee_name),
        ("批准文号", cert.approval_number),
        ("证书编号", cert.certificate_number),
        ("发证机关", cert.issuer),
        ("发证日期", _chinese_date(cert.issue_date)),
    ]
    label_x, value_x, value_width = 78.0, 190.0, width - 190.0 - 78.0
    y = height - 196
    for label, value in rows:
        pdf.setFillColor(_GREY)
        pdf.setFont(CJK_FONT, 12)
        pdf.drawString(label_x, y, label)
        pdf.setFillColor(_BLACK)
        value = _display(value)
        font = _font_for(value)
        size = 13.5
        lines = _wrap(value, font, size, value_width)
        for i, line in enumerate(lines):
            pdf.setFont(font, size)
            pdf.drawString(value_x, y - i * 18, line)
        y -= 18 * (len(lines) - 1) + 30
    if any(MISSING_GLYPH in _display(value) and MISSING_GLYPH not in value for _, value in rows):
        pdf.setFillColor(_GREY)
        pdf.setFont(CJK_FONT, 9)
        pdf.drawString(value_x, y + 8, f"注：{MISSING_GLYPH} 表示本文件字体无法显示的生僻字，请以扫码核验结果为准。")

    # verification block: QR code + technical details
    qr_size = 128.0
    qr_x, qr_y = 70.0, 92.0
    pdf.drawImage(_qr_image(cert.verification_url), qr_x, qr_y, qr_size, qr_size)
    pdf.setFillColor(_GREY)
    pdf.setFont(CJK_FONT, 10)
    pdf.drawCentredString(qr_x + qr_size / 2, qr_y - 12, "扫码核验真伪")

    text_x = qr_x + qr_size + 20
    text_width = width - text_x - 70
    ty = qr_y + qr_size - 10
    details: list[tuple[str, str]] = [
        ("核验网址：", cert.verification_url),
        ("签名算法：", signed.proof.alg),
        ("密钥标识：", signed.proof.kid),
        ("签名时间：", signed.proof.created),
    ]
    if (pdf_kid, pdf_alg) != (signed.proof.kid, signed.proof.alg):
        details.append(("文件签名密钥：", f"{pdf_alg} {pdf_kid}"))
    for label, raw_value in details:
        value = _display(raw_value)
        pdf.setFont(CJK_FONT, 9.5)
        pdf.setFillColor(_GREY)
        pdf.drawString(text_x, ty, label)
        label_width = pdfmetrics.stringWidth(label, CJK_FONT, 9.5)
        pdf.setFillColor(_BLACK)
        pdf.setFont(_font_for(value), 9)
        for i, line in enumerate(_wrap(value, _font_for(value), 9, text_width - label_width)):
            if i:
                ty -= 12
            pdf.drawString(text_x + label_width, ty, line)
        ty -= 16
    notice = (
        "本证书由发证机关以数字签名签发。请扫描二维码或访问核验网址查验真伪及是否被吊销、暂停；"
        "证书内容及本 PDF 文件的任何改动都会导致核验失败。"
    )
    pdf.setFont(CJK_FONT, 8.5)
    pdf.setFillColor(_GREY)
    for line in _wrap(notice, CJK_FONT, 8.5, text_width):
        ty -= 2
        pdf.drawString(text_x, ty, line)
        ty -= 11


def render_certificate_pdf(signed: SignedCertificate, signer: Signer) -> bytes:
    """Render ``signed`` as a one-page A4 PDF and append the file signature by ``signer``.

    ``signer`` is normally the key that signed the certificate, but may be a newer key when
    an old certificate's PDF is regenerated after rotation.
    """
    _ensure_font()
    cert = signed.data
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1, pageCompression=1)
    stamp = f"D:{cert.issue_date:%Y%m%d}000000+08'00'"
    pdf.setDateFormatter(lambda *_: stamp)
    pdf.setTitle(f"电子证书 {cert.holder_name} {cert.title_name}")
    pdf.setAuthor(cert.issuer)
    pdf.setSubject(f"职称电子证书 {cert.certificate_number}")
    pdf.setCreator("zhicheng")
    pdf.setProducer("zhicheng")
    pdf.setKeywords(_KEYWORDS_PREFIX + b64url_encode(signed.to_json()))
    _draw_page(pdf, signed, signer.key_id, signer.algorithm)
    pdf.showPage()
    pdf.save()
    return sign_pdf(buffer.getvalue(), signer)


def sign_pdf(pdf_bytes: bytes, signer: Signer) -> bytes:
    """Append ``%ZHICHENG-SIG <alg> <kid> <sig>`` after the final ``%%EOF``."""
    body = pdf_bytes if pdf_bytes.endswith(b"\n") else pdf_bytes + b"\n"
    if not body.endswith(_EOF):
        raise PdfSignatureError("PDF 必须以 %%EOF 结尾")
    if PDF_SIGNATURE_PREFIX in body[-4096:]:
        raise PdfSignatureError("PDF 已经带有签名行")
    line = b"%s%s %s %s\n" % (
        PDF_SIGNATURE_PREFIX,
        signer.algorithm.encode("ascii"),
        signer.key_id.encode("ascii"),
        b64url_encode(signer.sign(body)).encode("ascii"),
    )
    if _SIG_LINE_RE.fullmatch(line) is None:
        raise PdfSignatureError("签名算法或密钥标识不能用于 PDF 签名行")
    return body + line


def split_pdf_signature(pdf_bytes: bytes) -> tuple[bytes, str, str, bytes]:
    """Split into (signed body, alg, kid, signature); strict about the line's exact form."""
    start = pdf_bytes.rfind(PDF_SIGNATURE_PREFIX)
    if start < 0:
        raise PdfSignatureError("PDF 文件末尾没有签名行（%ZHICHENG-SIG）")
    body, line = pdf_bytes[:start], pdf_bytes[start:]
    match = _SIG_LINE_RE.fullmatch(line)
    if match is None:
        raise PdfSignatureError("PDF 签名行格式无效或已被修改")
    if not body.endswith(_EOF):
        raise PdfSignatureError("PDF 签名行前必须紧接 %%EOF")
    alg, kid, encoded = (group.decode("ascii") for group in match.groups())
    try:
        signature = b64url_decode(encoded)
    except ValueError as exc:
        raise PdfSignatureError("PDF 签名编码无效") from exc
    return body, alg, kid, signature


def extract_certificate_json(pdf_bytes: bytes) -> bytes:
    """The embedded signed certificate JSON (unverified; use :func:`verify_pdf`)."""
    matches = _KEYWORDS_RE.findall(pdf_bytes)
    if len(matches) != 1:
        raise PdfSignatureError("PDF 中没有（或有多份）嵌入的电子证书数据")
    try:
        return b64url_decode(matches[0].decode("ascii"))
    except ValueError as exc:
        raise PdfSignatureError("PDF 中嵌入的证书数据编码无效") from exc


def verify_pdf(
    pdf_bytes: bytes,
    keyring: KeyRing,
    status_list: StatusList | dict[str, Any] | str | bytes | None = None,
) -> VerificationResult:
    """Verify the file signature, then the embedded certificate (and its status).

    Returns the same :class:`VerificationResult` as :func:`verify_certificate`; never raises
    for bad input.
    """
    try:
        body, alg, kid, signature = split_pdf_signature(pdf_bytes)
    except PdfSignatureError as exc:
        return VerificationResult(valid=False, status=VerificationStatus.MALFORMED, message=f"PDF 文件无效：{exc}")
    try:
        keyring.verify(kid=kid, alg=alg, data=body, signature=signature)
    except UnknownKeyError:
        return VerificationResult(
            valid=False,
            status=VerificationStatus.UNKNOWN_KEY,
            message=f"无法验证：PDF 文件的签名密钥“{kid}”不在发证机关公布的公钥列表中。",
            kid=kid,
            alg=alg,
        )
    except SignatureVerificationError as exc:
        status = VerificationStatus(exc.code)
        return VerificationResult(
            valid=False,
            status=status,
            message=f"PDF 文件签名无效，文件已被修改：{exc}",
            kid=kid,
            alg=alg,
        )
    try:
        embedded = extract_certificate_json(body)
    except PdfSignatureError as exc:
        return VerificationResult(
            valid=False, status=VerificationStatus.MALFORMED, message=f"PDF 文件无效：{exc}", kid=kid, alg=alg
        )
    return verify_certificate(embedded, keyring, status_list)
