"""Electronic title certificates: signing, status lists, verification and PDF rendering.

What this module exports is pure (no database): models, signing, status lists, verification, PDF.
The storage-backed parts are imported from their modules: ``service`` (acceptance, issuing, status
changes), ``public`` (verification, rate limit, the holder's log), ``keys`` (key folder and published
key set), ``config`` (``TrustSettings``), ``cli``.  See ``docs/certificates.md``.
"""

from .canonical import b64url_decode, b64url_encode, canonical_json, parse_json_strict
from .model import (
    CERTIFICATE_FORMAT,
    CertificateData,
    CertificateDataError,
    CertificateNumber,
    Proof,
    SignedCertificate,
    TitleLevel,
    chinese_errors,
    is_valid_certificate_number,
    make_certificate_number,
    mask_id_number,
    parse_certificate_number,
    sign_certificate,
    validate_certificate_data,
)
from .pdf import render_certificate_pdf, verify_pdf
from .signing import (
    ED25519,
    Algorithm,
    Ed25519Signer,
    KeyRing,
    PublishedKey,
    Signer,
    generate_key_files,
    register_algorithm,
)
from .status import (
    STATUS_LIST_FORMAT,
    CertificateStatus,
    StatusList,
    StatusListError,
    clear_status,
    read_status,
    set_status,
    verify_status_list,
)
from .verify import PublicFields, VerificationResult, VerificationStatus, verify_certificate

__all__ = [
    "CERTIFICATE_FORMAT",
    "ED25519",
    "STATUS_LIST_FORMAT",
    "Algorithm",
    "CertificateData",
    "CertificateDataError",
    "CertificateNumber",
    "CertificateStatus",
    "Ed25519Signer",
    "KeyRing",
    "Proof",
    "PublicFields",
    "PublishedKey",
    "SignedCertificate",
    "Signer",
    "StatusList",
    "StatusListError",
    "TitleLevel",
    "VerificationResult",
    "VerificationStatus",
    "b64url_decode",
    "b64url_encode",
    "canonical_json",
    "chinese_errors",
    "clear_status",
    "generate_key_files",
    "is_valid_certificate_number",
    "make_certificate_number",
    "mask_id_number",
    "parse_certificate_number",
    "parse_json_strict",
    "read_status",
    "register_algorithm",
    "render_certificate_pdf",
    "set_status",
    "sign_certificate",
    "validate_certificate_data",
    "verify_certificate",
    "verify_pdf",
    "verify_status_list",
]
