"""Real-name identity: one way to validate, encrypt, index and mask a 身份证号 for storage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from zhicheng.accounts.idnumbers import validate_resident_id
from zhicheng.accounts.protect import PersonalDataProtector, protector_from_env

ID_FIELD = "resident_id"  # blind-index domain: the same number indexes differently in other fields
DEV_KEY_FILE = "secret.key"


@dataclass(frozen=True, slots=True)
class StoredIdentity:
    token: str  # AES-GCM ciphertext
    index: str  # blind index for exact look-up (unique per person)
    masked: str  # the only form ever shown


def protector_for(data_dir: Path) -> PersonalDataProtector:
    """ZHICHENG_SECRET_KEY in production; a development key file in the data folder otherwise."""
    return protector_from_env(dev_key_file=data_dir / DEV_KEY_FILE)


def protect_resident_id(protector: PersonalDataProtector, number: str, today: date | None = None) -> StoredIdentity:
    rid = validate_resident_id(number, today)  # raises IdNumberError with a Chinese reason
    return StoredIdentity(token=protector.encrypt(rid.number, context=ID_FIELD),
                          index=protector.blind_index(rid.number, field=ID_FIELD), masked=rid.masked)


def resident_id_index(protector: PersonalDataProtector, number: str) -> str:
    return protector.blind_index(validate_resident_id(number).number, field=ID_FIELD)
