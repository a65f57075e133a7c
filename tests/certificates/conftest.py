"""Shared fixtures: deterministic keys, a sample certificate, key rings and status lists."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from cert_world import CertWorld, build_world
from sqlalchemy import Engine

from zhicheng.certificates import (
    CertificateData,
    Ed25519Signer,
    KeyRing,
    SignedCertificate,
    StatusList,
    make_certificate_number,
    mask_id_number,
    sign_certificate,
)

ISSUED_AT = dt.datetime(2025, 7, 15, 2, 0, tzinfo=dt.UTC)
LIST_UPDATED = dt.datetime(2025, 7, 16, 0, 0, tzinfo=dt.UTC)


def make_data(**overrides: object) -> CertificateData:
    """A realistic certificate; keyword arguments replace fields."""
    fields: dict[str, object] = {
        "holder_name": "张三",
        "id_number_masked": mask_id_number("11010519491231002X"),
        "title_name": "高级工程师",
        "level": "senior_engineer",
        "series": "工程技术",
        "specialty": "人工智能",
        "qualification_date": dt.date(2025, 6, 30),
        "committee_name": "北京市工程技术系列人工智能专业高级专业技术资格评审委员会",
        "approval_number": "京人社职字〔2025〕18号",
        "certificate_number": make_certificate_number("110000", 2025, "senior_engineer", 1234),
        "issuer": "北京市人力资源和社会保障局",
        "issue_date": dt.date(2025, 7, 15),
        "verification_url": "https://zc.example.gov.cn/v/ZC110000202540012346",
        "status_list_id": "bj-2025",
        "status_index": 42,
    }
    fields.update(overrides)
    return CertificateData.model_validate(fields)


@pytest.fixture(scope="session")
def make_cert_data() -> Callable[..., CertificateData]:
    """Factory fixture, so test modules need not import from conftest."""
    return make_data


@pytest.fixture(scope="session")
def k1() -> Ed25519Signer:
    return Ed25519Signer.from_seed(bytes(range(32)), "bj-2025-01")


@pytest.fixture(scope="session")
def k2() -> Ed25519Signer:
    return Ed25519Signer.from_seed(bytes(range(100, 132)), "bj-2026-01")


@pytest.fixture
def keyring(k1: Ed25519Signer) -> KeyRing:
    ring = KeyRing()
    ring.add_signer(k1, dt.date(2025, 1, 1))
    return ring


@pytest.fixture(scope="session")
def data() -> CertificateData:
    return make_data()


@pytest.fixture(scope="session")
def signed(data: CertificateData, k1: Ed25519Signer) -> SignedCertificate:
    return sign_certificate(data, k1, ISSUED_AT)


@pytest.fixture(scope="session")
def signed_json(signed: SignedCertificate) -> bytes:
    return signed.to_json()


@pytest.fixture
def status_list() -> StatusList:
    return StatusList("bj-2025")


# ---------------------------------------------------------------- storage-backed tests (cert_world.py)
@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> CertWorld:
    """Two applicants waiting for acceptance, on each database (see cert_world.py)."""
    return build_world(engine, tmp_path)
