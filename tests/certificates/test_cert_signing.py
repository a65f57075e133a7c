"""Signers, published key rings, rotation windows and algorithm dispatch."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import stat
from pathlib import Path

import pytest

from zhicheng.certificates import signing
from zhicheng.certificates.canonical import b64url_decode
from zhicheng.certificates.signing import (
    ED25519,
    Algorithm,
    AlgorithmMismatchError,
    BadSignatureError,
    Ed25519Signer,
    KeyNotValidError,
    KeyRing,
    KeyRingError,
    PublishedKey,
    Signer,
    UnknownKeyError,
    UnsupportedAlgorithmError,
    generate_key_files,
    register_algorithm,
    supported_algorithms,
)

RFC8032_SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
RFC8032_PUB = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
RFC8032_SIG_EMPTY = bytes.fromhex(
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
)
NOON = dt.datetime(2025, 7, 15, 4, 0, tzinfo=dt.UTC)


def test_ed25519_matches_rfc8032_vector() -> None:
    signer = Ed25519Signer.from_seed(RFC8032_SEED, "rfc")
    assert signer.public_key_bytes() == RFC8032_PUB
    assert signer.sign(b"") == RFC8032_SIG_EMPTY
    assert isinstance(signer, Signer)
    assert signer.algorithm == ED25519 and signer.key_id == "rfc"


def test_jwk_and_b64(k1: Ed25519Signer) -> None:
    jwk = k1.public_key_jwk()
    assert jwk["kty"] == "OKP" and jwk["crv"] == "Ed25519" and jwk["kid"] == k1.key_id
    assert b64url_decode(jwk["x"]) == k1.public_key_bytes()
    assert jwk["x"] == k1.public_key_b64()


def test_pem_roundtrip_with_and_without_password(k1: Ed25519Signer) -> None:
    for password in (None, b"s3cret"):
        again = Ed25519Signer.from_pem(k1.private_key_pem(password), "again", password)
        assert again.public_key_bytes() == k1.public_key_bytes()
    assert "PRIVATE" not in repr(k1)


@pytest.mark.parametrize("kid", ["", "有中文", "with space", "x" * 65, "-lead"])
def test_bad_key_ids_rejected(kid: str) -> None:
    with pytest.raises(ValueError):
        Ed25519Signer.from_seed(bytes(32), kid)


def test_bad_seed_rejected() -> None:
    with pytest.raises(ValueError, match="32"):
        Ed25519Signer.from_seed(b"short", "k")


def test_generate_key_files(tmp_path: Path) -> None:
    private = tmp_path / "k.pem"
    public = tmp_path / "k.pub.pem"
    entry = generate_key_files(private, "gen-1", public_key_path=public, valid_from=dt.date(2025, 1, 1))
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert b"BEGIN PRIVATE KEY" in private.read_bytes()
    assert b"BEGIN PUBLIC KEY" in public.read_bytes()
    signer = Ed25519Signer.from_pem_file(private, "gen-1")
    assert signer.public_key_b64() == entry.public_key
    ring = KeyRing([entry])
    ring.verify(kid="gen-1", alg=ED25519, data=b"x", signature=signer.sign(b"x"))
    with pytest.raises(FileExistsError):
        generate_key_files(private, "gen-2")
    generate_key_files(private, "gen-3", overwrite=True)
    assert stat.S_IMODE(private.stat().st_mode) == 0o600


def test_keyring_document_roundtrip(tmp_path: Path, k1: Ed25519Signer, k2: Ed25519Signer) -> None:
    ring = KeyRing()
    ring.add_signer(k1, dt.date(2025, 1, 1))
    ring.add_signer(k2, dt.date(2026, 1, 1))
    ring.retire(k1.key_id, dt.date(2025, 12, 31))
    path = tmp_path / "keys.json"
    ring.save(path)
    doc = json.loads(path.read_text())
    assert doc["keys"][0] == {
        "kid": k1.key_id,
        "alg": "Ed25519",
        "public_key": k1.public_key_b64(),
        "valid_from": "2025-01-01",
        "retired_at": "2025-12-31",
    }
    assert doc["keys"][1]["retired_at"] is None
    loaded = KeyRing.load(path)
    assert loaded.to_document() == ring.to_document()
    assert len(loaded) == 2 and k1.key_id in loaded


@pytest.mark.parametrize(
    "entry",
    [
        {"kid": "a", "alg": "Ed25519", "public_key": "AAAA", "valid_from": "2025-01-01"},
        {"kid": "a", "alg": "Ed25519", "public_key": "not base64!", "valid_from": "2025-01-01"},
        {"kid": "a", "alg": "Ed25519", "public_key": "A" * 43, "valid_from": "2025-01-01", "extra": 1},
        {
            "kid": "a",
            "alg": "Ed25519",
            "public_key": "A" * 43,
            "valid_from": "2025-01-02",
            "retired_at": "2025-01-01",
        },
    ],
)
def test_bad_keyring_documents_rejected(entry: dict[str, object]) -> None:
    with pytest.raises(KeyRingError):
        KeyRing.from_document({"keys": [entry]})


def test_unknown_algorithm_keys_are_kept_but_cannot_verify() -> None:
    ring = KeyRing.from_document(
        {"keys": [{"kid": "sm2-1", "alg": "SM2-future", "public_key": "BAAA", "valid_from": "2025-01-01"}]}
    )
    with pytest.raises(UnsupportedAlgorithmError):
        ring.verify(kid="sm2-1", alg="SM2-future", data=b"x", signature=b"y")


def test_conflicting_duplicate_kid_rejected(k1: Ed25519Signer, k2: Ed25519Signer) -> None:
    ring = KeyRing()
    ring.add_signer(k1, dt.date(2025, 1, 1))
    ring.add_signer(k1, dt.date(2025, 1, 1))  # identical: fine
    impostor = Ed25519Signer.from_seed(bytes(range(100, 132)), k1.key_id)
    with pytest.raises(KeyRingError):
        ring.add_signer(impostor, dt.date(2025, 1, 1))


def test_verify_errors(keyring: KeyRing, k1: Ed25519Signer) -> None:
    sig = k1.sign(b"data")
    assert keyring.verify(kid=k1.key_id, alg=ED25519, data=b"data", signature=sig, signed_at=NOON).kid == k1.key_id
    with pytest.raises(BadSignatureError):
        keyring.verify(kid=k1.key_id, alg=ED25519, data=b"datA", signature=sig)
    with pytest.raises(UnknownKeyError):
        keyring.verify(kid="nope", alg=ED25519, data=b"data", signature=sig)
    with pytest.raises(AlgorithmMismatchError):
        keyring.verify(kid=k1.key_id, alg="SM2", data=b"data", signature=sig)
    with pytest.raises(KeyNotValidError):
        keyring.verify(
            kid=k1.key_id, alg=ED25519, data=b"data", signature=sig, signed_at=dt.datetime(2024, 12, 31, tzinfo=dt.UTC)
        )


def test_rotation_window_inclusive_in_beijing_time(k1: Ed25519Signer, k2: Ed25519Signer) -> None:
    ring = KeyRing()
    ring.add_signer(k1, dt.date(2025, 1, 1))
    ring.add_signer(k2, dt.date(2025, 7, 15))
    ring.retire(k1.key_id, dt.date(2025, 7, 15))
    sig = k1.sign(b"d")
    # 2025-07-15 23:30 Beijing = 15:30 UTC: still the retirement day -> accepted
    ring.verify(
        kid=k1.key_id, alg=ED25519, data=b"d", signature=sig, signed_at=dt.datetime(2025, 7, 15, 15, 30, tzinfo=dt.UTC)
    )
    # 2025-07-16 00:30 Beijing = 2025-07-15 16:30 UTC: after retirement -> refused
    with pytest.raises(KeyNotValidError):
        ring.verify(
            kid=k1.key_id,
            alg=ED25519,
            data=b"d",
            signature=sig,
            signed_at=dt.datetime(2025, 7, 15, 16, 30, tzinfo=dt.UTC),
        )
    assert [k.kid for k in ring.active_keys(dt.date(2025, 7, 16))] == [k2.key_id]
    # retiring again later never extends the key's life
    assert ring.retire(k1.key_id, dt.date(2030, 1, 1)).retired_at == dt.date(2025, 7, 15)


def test_register_algorithm_dispatch(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stand-in for SM2: a registered verifier is used purely by algorithm name."""
    monkeypatch.setattr(signing, "_ALGORITHMS", dict(signing._ALGORITHMS))  # undo after test

    class ToyHmacSigner:
        key_id = "toy-1"
        algorithm = "TOY-HMAC"

        def __init__(self, secret: bytes) -> None:
            self.secret = secret

        def sign(self, data: bytes) -> bytes:
            return hmac.new(self.secret, data, hashlib.sha256).digest()

        def public_key_b64(self) -> str:
            return "c2VjcmV0"  # "secret" — a toy, symmetric "public key"

        def public_key_jwk(self) -> dict[str, str]:
            return {"kty": "oct", "kid": self.key_id}

    def toy_verify(public_key: bytes, data: bytes, signature: bytes) -> bool:
        return hmac.compare_digest(hmac.new(public_key, data, hashlib.sha256).digest(), signature)

    def toy_check(public_key: bytes) -> None:
        if not public_key:
            raise ValueError("empty")

    register_algorithm(Algorithm("TOY-HMAC", toy_verify, toy_check))
    assert "TOY-HMAC" in supported_algorithms()
    signer = ToyHmacSigner(b"secret")
    assert isinstance(signer, Signer)
    ring = KeyRing()
    entry = ring.add_signer(signer, dt.date(2025, 1, 1))
    assert isinstance(entry, PublishedKey)
    ring.verify(kid="toy-1", alg="TOY-HMAC", data=b"abc", signature=signer.sign(b"abc"))
    with pytest.raises(BadSignatureError):
        ring.verify(kid="toy-1", alg="TOY-HMAC", data=b"abd", signature=signer.sign(b"abc"))
