"""Every quote in the catalog occurs in its seed text; the shipped seeds are the shared ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from zhicheng.policy.catalog import (
    SEEDS_DIR,
    check_quotes,
    default_catalog,
    iter_cites,
    lint,
    normalise,
    seed_sha256,
    seed_texts,
)

SHARED = Path(__file__).resolve().parents[3] / "shared" / "seeds"


@pytest.mark.parametrize("doc_id", sorted(default_catalog().documents))
def test_quotes_occur_in_seed(doc_id):
    cat = default_catalog()
    assert check_quotes(cat.documents[doc_id], seed_texts(cat)) == []


@pytest.mark.parametrize("doc_id", sorted(default_catalog().documents))
def test_source_hash_and_lint(doc_id):
    doc = default_catalog().documents[doc_id]
    assert seed_sha256(doc.source.file) == doc.source.sha256
    assert lint(doc) == []
    assert sum(1 for _ in iter_cites(doc)) > 10


def test_quote_check_catches_a_wrong_quote():
    cat = default_catalog()
    doc = cat.documents["general_bj_2020"]
    bad = doc.model_copy(
        update={"validity_cite": doc.validity_cite.model_copy(update={"quote": "本办法自2021年1月1日起实施"})}
    )
    assert check_quotes(bad, seed_texts(cat))


def test_normalise_ignores_pdf_line_breaks():
    assert normalise("满 2 年\n，且\u3000考核") == "满2年，且考核"


@pytest.mark.skipif(not SHARED.exists(), reason="../shared/seeds not beside the checkout")
def test_shipped_seeds_equal_shared_seeds():
    for f in SHARED.glob("*.txt"):
        assert (SEEDS_DIR / f.name).read_bytes() == f.read_bytes(), f.name
