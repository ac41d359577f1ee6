"""The pure parts of node.finance: pledge bodies and signatures, registry keys,
scaled commitments against a reference, the coverage ladder, parser fuzzing."""

from __future__ import annotations

import contextlib
import hashlib
import json
import random
from datetime import UTC, datetime

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

import zk
from ledger import NoteSigner, canonical_json
from node.finance import (
    BASIS,
    REGISTRY_TAG,
    Coverage,
    FinanceFormatError,
    FinanceVerificationError,
    GrantRecord,
    Pledge,
    PledgeRef,
    SignedPledge,
    month_buckets,
    pledge_context,
    prove_coverage_at,
    registry_key,
    scale_commitment,
    scale_opening,
)

BORROWER = NoteSigner("borrower.example/m", bytes([1]) * 32)
BANK = NoteSigner("bank-a.example", bytes([2]) * 32)
MS = int(datetime(2026, 11, 2, tzinfo=UTC).timestamp() * 1000)


def _pledge(rng: random.Random, quantity: int = 500) -> tuple[Pledge, zk.Opening]:
    c, o = zk.commit(quantity, rng=rng)
    pid = "ab" * 16
    subject = "cd" * 32
    proof = zk.prove_range(
        [o], bits=32, context=pledge_context(pid, BORROWER.name, subject), rng=rng
    )
    pledge = Pledge(
        id=pid,
        borrower=BORROWER.name,
        borrower_vkey=BORROWER.vkey,
        bank=BANK.name,
        bank_vkey=BANK.vkey,
        subject=subject,
        registry=(registry_key(BORROWER.name, "SKU", "FAB1", "2026-11"),),
        commitment=c.to_bytes(),
        range_proof=proof.to_bytes(),
        from_ms=MS,
        to_ms=MS + 1000,
        grant="g1",
        created_ms=MS,
    )
    return pledge, o


@pytest.fixture(scope="module")
def pledge() -> Pledge:
    return _pledge(random.Random(1))[0]


def test_registry_key_is_the_documented_hash() -> None:
    fields = {"borrower": "b", "bucket": "2026-11", "site": "FAB1", "sku": "SKU-1"}
    expected = hashlib.sha256(REGISTRY_TAG + rfc8785.dumps(fields)).hexdigest()
    assert registry_key("b", "SKU-1", "FAB1", "2026-11") == expected
    # Every field matters; fields cannot slide into each other.
    assert registry_key("b", "SKU-1", "FAB1", "2026-12") != expected
    assert registry_key("b", "SKU-1F", "AB1", "2026-11") != registry_key(
        "b", "SKU-1", "FAB1", "2026-11"
    )
    assert registry_key("c", "SKU-1", "FAB1", "2026-11") != expected


def test_month_buckets() -> None:
    jan = int(datetime(2026, 12, 31, 23, tzinfo=UTC).timestamp() * 1000)
    feb = int(datetime(2027, 2, 1, tzinfo=UTC).timestamp() * 1000)
    assert month_buckets(jan, feb) == ("2026-12", "2027-01", "2027-02")
    assert month_buckets(jan, jan) == ("2026-12",)
    with pytest.raises(FinanceFormatError):
        month_buckets(feb, jan)


def test_both_signatures_are_required_and_bound_to_the_body(pledge: Pledge) -> None:
    both = SignedPledge(pledge, (pledge.sign(BORROWER), pledge.sign(BANK)))
    both.verify_signatures()
    assert SignedPledge.from_bytes(canonical_json(both.to_body())) == both
    for only in (BORROWER, BANK):
        with pytest.raises(FinanceVerificationError, match="lacks"):
            SignedPledge(pledge, (pledge.sign(only),)).verify_signatures()
    # A signature over another pledge (a changed period) does not carry over.
    other = Pledge(**{**pledge.__dict__, "to_ms": pledge.to_ms + 1})
    with pytest.raises(FinanceVerificationError):
        SignedPledge(other, both.signatures).verify_signatures()
    # One flipped bit in the bank's signature.
    line = both.signatures[1]
    flipped = line[:-5] + ("A" if line[-5] != "A" else "B") + line[-4:]
    with pytest.raises(FinanceVerificationError):
        SignedPledge(pledge, (both.signatures[0], flipped)).verify_signatures()
    # The bank key must be named as the bank.
    impostor = NoteSigner("bank-z.example", bytes([2]) * 32)
    renamed = Pledge(**{**pledge.__dict__, "bank_vkey": impostor.vkey})
    with pytest.raises(FinanceVerificationError, match="named"):
        SignedPledge(renamed, (renamed.sign(BORROWER), renamed.sign(impostor))).verify_signatures()


@given(
    k=st.integers(min_value=1, max_value=50_000), v=st.integers(0, 2**20), seed=st.integers(0, 9)
)
@settings(max_examples=25, deadline=None)
def test_scaling_matches_committing_to_the_scaled_value(k: int, v: int, seed: int) -> None:
    c, o = zk.commit(v, rng=random.Random(seed))
    scaled = scale_opening(o, k)
    assert int(scaled.value) == k * v
    assert scale_commitment(c, k) == scaled.commitment()
    # reference: k-fold repeated addition for small k
    if k <= 20:
        acc = c
        for _ in range(k - 1):
            acc = acc + c
        assert acc == scale_commitment(c, k)


@pytest.mark.parametrize(
    ("stock", "pledged", "ratio"),
    [
        (2000, [1000], 20_000),
        (1999, [1000], 15_000),
        (1250, [500, 500], 12_500),
        (1100, [1000], 11_000),
        (1000, [400, 600], 10_000),
        (999, [400, 600], None),
    ],
)
def test_the_best_ratio_of_the_ladder_is_proven(
    stock: int, pledged: list[int], ratio: int | None
) -> None:
    rng = random.Random(stock)
    a_c, a_o = zk.commit(stock, rng=rng)
    pairs = [zk.commit(p, rng=rng) for p in pledged]
    refs = [PledgeRef(f"{n:032x}", n + 1) for n in range(len(pledged))]
    cov = prove_coverage_at(
        origin="o",
        snapshot="s",
        snapshot_seq=9,
        subject="x" * 64,
        as_of_ms=MS,
        available=a_o,
        pledges=list(zip(refs, [o for _, o in pairs], strict=True)),
        rng=rng,
    )
    if ratio is None:
        assert cov is None
        return
    assert cov is not None
    assert cov.ratio_bp == ratio
    parsed = Coverage.from_body(json.loads(json.dumps(cov.to_body())))
    parsed.verify("o", a_c, [c for c, _ in pairs])
    with pytest.raises(FinanceVerificationError):  # another log's context
        parsed.verify("p", a_c, [c for c, _ in pairs])
    with pytest.raises(FinanceVerificationError):  # a pledge left out
        parsed.verify("o", a_c, [*[c for c, _ in pairs][:-1], zk.commit(1, rng=rng)[0]])
    stretched = Coverage(
        **{**parsed.__dict__, "ratio_bp": ratio + 5_000 if ratio < 20_000 else 10_000}
    )
    with pytest.raises(FinanceVerificationError):  # a claimed ratio the proof was not made for
        stretched.verify("o", a_c, [c for c, _ in pairs])
    assert BASIS == 10_000


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**60), 2**60) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=5)
    ),
    max_leaves=20,
)


@given(doc=json_values)
@settings(max_examples=80, deadline=None)
def test_parsers_raise_only_the_domain_error(doc: object) -> None:
    for parse in (
        SignedPledge.from_body,
        Pledge.from_json,
        Coverage.from_body,
        GrantRecord.from_body,
    ):
        with contextlib.suppress(FinanceFormatError):
            parse(doc)  # type: ignore[arg-type]


@given(field=st.sampled_from(sorted(Pledge.__dataclass_fields__)), value=json_values)
@settings(max_examples=80, deadline=None)
def test_a_mutated_pledge_field_parses_or_raises_the_domain_error(
    pledge: Pledge, field: str, value: object
) -> None:
    doc = pledge.to_json()
    doc[field] = value  # type: ignore[assignment]
    with contextlib.suppress(FinanceFormatError):
        Pledge.from_json(doc)


@given(doc=json_values, fields=st.lists(json_values, min_size=6, max_size=6))
@settings(max_examples=40, deadline=None)
def test_collateral_parsers_raise_only_the_domain_errors(doc: object, fields: list[object]) -> None:
    from ledger import LedgerError, canonical_json
    from node.finance import (
        ANSWER_FORMAT,
        Collateral,
        CollateralRecord,
        FinanceVerificationError,
        verify_collateral_answer,
    )

    with contextlib.suppress(FinanceFormatError):
        CollateralRecord.from_body(doc)  # type: ignore[arg-type]
    with contextlib.suppress(FinanceFormatError):
        Collateral.from_json(doc)  # type: ignore[arg-type]
    names = ("bank", "keys", "size", "records", "evidence", "signature")
    shaped = {"format": ANSWER_FORMAT, **dict(zip(names, fields, strict=True))}
    for candidate in (doc, shaped):
        try:
            data = canonical_json(candidate)  # type: ignore[arg-type]
        except LedgerError:
            continue
        with contextlib.suppress(FinanceFormatError, FinanceVerificationError):
            verify_collateral_answer(data, vkey=BANK.vkey, keys=["a" * 64])
