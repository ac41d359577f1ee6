"""Disclosure policies as data: parsing (and refusing unsafe policies), the one
evaluation function, grants, and the stored versions."""

from __future__ import annotations

import contextlib
import copy
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine

from node.auth.roles import Role
from node.db import upgrade
from node.disclosure import (
    Caller,
    GrantError,
    Item,
    LedgerItem,
    PolicyCache,
    PolicyError,
    Scope,
    View,
    active_policy,
    add_grant,
    default_policy,
    evaluate,
    grants_for,
    new_grant,
    parse_policy,
    policy_digest,
    policy_to_dict,
    revoke_grant,
    store_policy,
    sync_home_policy,
)
from tests.node.inventory_support import POLICY

T0 = 1_790_000_000_000
DAY = 86_400_000


def _policy(**changes: Any) -> dict[str, Any]:
    doc = copy.deepcopy(POLICY)
    doc.update(changes)
    return doc


def test_default_policy_round_trips_and_has_a_stable_digest() -> None:
    policy = default_policy()
    assert policy.version == 1
    assert parse_policy(json.dumps(policy_to_dict(policy))) == policy
    assert policy_digest(policy) == policy_digest(parse_policy(policy_to_dict(policy)))
    assert policy.rule(Role.PARTNER).scope is Scope.SUPPLIED
    assert policy.rule(Role.PARTNER).views == frozenset({View.FACTS})


def test_toml_policy_is_accepted() -> None:
    text = """
format = "scnode-disclosure-policy/v1"
version = 3
[roles.partner]
views = ["facts"]
scope = "supplied"
[[parties]]
party = "phone-maker"
role = "partner"
skus = ["MOD-*"]
"""
    policy = parse_policy(text)
    assert policy.version == 3
    assert policy.parties[0].locations == ("*",)
    assert policy.rule(Role.BANK).views == frozenset()  # roles not named see nothing


UNSAFE = [
    ("quantities-to-partner", {"partner": {"views": ["quantities"], "scope": "supplied"}}),
    ("quantities-to-bank", {"bank": {"views": ["quantities"], "scope": "granted"}}),
    ("quantities-to-auditor", {"auditor": {"views": ["quantities"], "scope": "all"}}),
    ("openings-to-partner", {"partner": {"views": ["openings"], "scope": "supplied"}}),
    ("openings-to-all-partners", {"partner": {"views": ["openings"], "scope": "all"}}),
    ("owner-quantities-not-all", {"operator": {"views": ["quantities"], "scope": "granted"}}),
    ("unknown-view", {"partner": {"views": ["prices"], "scope": "supplied"}}),
    ("unknown-scope", {"partner": {"views": ["facts"], "scope": "everyone"}}),
    ("unknown-role", {"guest": {"views": ["facts"], "scope": "all"}}),
    ("extra-key", {"partner": {"views": ["facts"], "scope": "supplied", "x": 1}}),
]


@pytest.mark.parametrize(("name", "roles"), UNSAFE, ids=[u[0] for u in UNSAFE])
def test_unsafe_or_malformed_role_rules_are_refused(name: str, roles: dict[str, Any]) -> None:
    with pytest.raises(PolicyError):
        parse_policy(_policy(roles={**POLICY["roles"], **roles}))


@pytest.mark.parametrize(
    "doc",
    [
        _policy(format="scnode-disclosure-policy/v2"),
        _policy(version=0),
        _policy(version=True),
        _policy(version="2"),
        _policy(extra=1),
        _policy(parties=[{"party": "x", "role": "admin", "skus": ["*"]}]),
        _policy(parties=[{"party": "", "role": "partner", "skus": ["*"]}]),
        _policy(parties=[{"party": "x", "role": "partner", "skus": []}]),
        _policy(parties=[{"party": "x", "role": "partner", "skus": ["A*B"]}]),
        _policy(parties="x"),
        [],
    ],
)
def test_malformed_documents_are_refused(doc: object) -> None:
    with pytest.raises(PolicyError):
        parse_policy(json.dumps(doc))


@given(st.binary(max_size=300))
@settings(max_examples=200, deadline=None)
def test_parser_returns_a_policy_or_raises_policy_error(data: bytes) -> None:
    with contextlib.suppress(PolicyError):
        parse_policy(data)


ROLE_VIEWS = st.fixed_dictionaries(
    {},
    optional={
        role.value: st.fixed_dictionaries(
            {
                "views": st.lists(st.sampled_from([v.value for v in View]), unique=True),
                "scope": st.sampled_from([s.value for s in Scope]),
            }
        )
        for role in Role
    },
)


@given(ROLE_VIEWS, st.sampled_from(list(Role)), st.text(min_size=1, max_size=5))
@settings(max_examples=300, deadline=None)
def test_no_policy_shows_quantities_or_openings_to_a_partner(
    roles: dict[str, Any], role: Role, sku: str
) -> None:
    doc = _policy(roles=roles, parties=[{"party": "p", "role": "partner", "skus": ["*"]}])
    try:
        policy = parse_policy(doc)
    except PolicyError:
        return
    grant = new_grant(
        grant_id="g",
        grantee="p",
        role="bank",
        skus=["*"],
        locations=["*"],
        from_ms=0,
        to_ms=2**53 - 1,
        buckets=["available"],
        created_ms=0,
    )
    decision = evaluate(policy, Caller(role, "p"), Item(sku, None, T0), [grant])
    if role not in (Role.ADMIN, Role.OPERATOR):
        assert not decision.quantities
    if role is Role.PARTNER:
        assert decision.openings == frozenset()


def _bank_grant(**changes: Any) -> Any:
    fields: dict[str, Any] = {
        "grant_id": "g1",
        "grantee": "bank-a",
        "role": "bank",
        "skus": ["CHIP-*"],
        "locations": ["FAB1"],
        "from_ms": T0,
        "to_ms": T0 + 30 * DAY,
        "buckets": ["available"],
        "created_ms": T0,
    }
    fields.update(changes)
    return new_grant(**fields)


def test_evaluation_by_role_party_and_grant() -> None:
    policy = parse_policy(POLICY)
    mod = Item("MOD-0001", "深圳一仓", T0)
    pcb_wh2 = Item("PCB-001", "WH2", T0)
    pcb_wh9 = Item("PCB-001", "WH9", T0)
    chip = Item("CHIP-001", "FAB1", T0 + DAY)
    grants = [_bank_grant()]
    owner = evaluate(policy, Caller(Role.OPERATOR, "ops"), mod, [])
    assert owner.quantities
    assert owner.commitments
    assert owner.facts
    assert owner.may_open("blocked")
    a = Caller(Role.PARTNER, "phone-maker")
    b = Caller(Role.PARTNER, "board-maker")
    assert evaluate(policy, a, mod, grants).facts
    assert not evaluate(policy, a, mod, grants).commitments
    assert not evaluate(policy, a, pcb_wh2, grants).visible  # another partner's SKUs
    assert evaluate(policy, b, pcb_wh2, grants).facts
    assert not evaluate(policy, b, pcb_wh9, grants).visible  # not its site
    assert not evaluate(policy, b, mod, grants).visible
    assert not evaluate(policy, Caller(Role.PARTNER, "stranger"), mod, grants).visible
    bank = Caller(Role.BANK, "bank-a")
    seen = evaluate(policy, bank, chip, grants)
    assert seen.facts
    assert seen.commitments
    assert not seen.quantities
    assert seen.may_open("available")
    assert not seen.may_open("in_transit")
    assert not evaluate(policy, bank, Item("CHIP-001", "FAB2", T0), grants).visible
    assert not evaluate(policy, bank, Item("CHIP-001", "FAB1", T0 - 1), grants).visible
    assert not evaluate(policy, bank, Item("CHIP-001", "FAB1", T0 + 31 * DAY), grants).visible
    assert not evaluate(policy, bank, mod, grants).visible
    assert not evaluate(policy, Caller(Role.BANK, "bank-b"), chip, grants).visible
    assert not evaluate(policy, Caller(Role.AUDITOR, "bank-a"), chip, grants).openings
    revoked = replace(_bank_grant(grant_id="g2"), revoked_ms=T0)
    assert not evaluate(policy, bank, chip, [revoked]).visible


@pytest.mark.parametrize(
    "changes",
    [
        {"role": "partner"},
        {"role": "operator"},
        {"role": "nobody"},
        {"grantee": ""},
        {"skus": []},
        {"skus": "CHIP-1"},
        {"locations": ["*x"]},
        {"from_ms": T0 + 1, "to_ms": T0},
        {"from_ms": -1},
        {"to_ms": 2**53},
        {"from_ms": True},
        {"buckets": ["price"]},
    ],
)
def test_bad_grants_are_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(GrantError):
        _bank_grant(**changes)


def test_stored_policy_versions_only_increase_and_home_file_loads(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    upgrade(url)
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            assert active_policy(conn) == default_policy()
            store_policy(conn, parse_policy(POLICY), now_ms=T0, source="api")
            assert active_policy(conn).version == 2
            with pytest.raises(PolicyError, match="not newer"):
                store_policy(conn, parse_policy(POLICY), now_ms=T0, source="api")
        home = tmp_path / "home"
        home.mkdir()
        assert sync_home_policy(engine, home, now_ms=T0).version == 2  # no file
        (home / "disclosure-policy.json").write_text(json.dumps(_policy(version=1)))
        assert sync_home_policy(engine, home, now_ms=T0).version == 2  # older: ignored
        (home / "disclosure-policy.json").write_text(json.dumps(_policy(version=5)))
        assert sync_home_policy(engine, home, now_ms=T0).version == 5
        (home / "disclosure-policy.json").write_text('{"format": "nope"}')
        with pytest.raises(PolicyError, match=r"disclosure-policy\.json"):
            sync_home_policy(engine, home, now_ms=T0)
        with engine.begin() as conn:
            grant = add_grant(
                conn,
                now_ms=T0,
                grantee="bank-a",
                role="bank",
                skus=["CHIP-*"],
                locations=["*"],
                from_ms=T0,
                to_ms=T0 + DAY,
                buckets=["available"],
            )
            assert [g.id for g in grants_for(conn, "bank-a", Role.BANK)] == [grant.id]
            assert grants_for(conn, "bank-a", Role.AUDITOR) == []
            assert revoke_grant(conn, grant.id, now_ms=T0 + 1).revoked_ms == T0 + 1
            assert grants_for(conn, "bank-a", Role.BANK) == []
            with pytest.raises(GrantError):
                revoke_grant(conn, "0" * 16, now_ms=T0)
    finally:
        engine.dispose()


# -- the ledger rule of each role -------------------------------------------------


def test_default_ledger_rules_grant_proofs_and_entry_kinds_by_role() -> None:
    policy = default_policy()
    proofs = LedgerItem()
    for role in Role:
        assert evaluate(policy, Caller(role, "x"), proofs).ledger, role
    partner, bank = Caller(Role.PARTNER, "p"), Caller(Role.BANK, "b")
    auditor = Caller(Role.AUDITOR, "a")
    for kind, partner_sees, bank_sees in [
        ("inventory.snapshot", True, True),
        ("key.rotate", True, True),
        ("planning.capacity_fact", True, False),
        ("finance.pledge", False, True),
        ("finance.grant", False, True),
        ("document.sent", False, False),
        ("peer.add", False, False),
        ("governance.exception.opened.v1", False, False),
    ]:
        item = LedgerItem(kind)
        assert evaluate(policy, partner, item).ledger is partner_sees, kind
        assert evaluate(policy, bank, item).ledger is bank_sees, kind
        assert evaluate(policy, auditor, item).ledger, kind
        assert evaluate(policy, Caller(Role.OPERATOR, "o"), item).ledger, kind
    # a ledger item never discloses anything of a position, and a position nothing of the ledger
    decision = evaluate(policy, partner, LedgerItem("inventory.snapshot"))
    assert (decision.quantities, decision.commitments, decision.facts) == (False, False, False)
    assert decision.openings == frozenset()
    assert not evaluate(policy, Caller(Role.OPERATOR, "o"), Item("X", None, T0), []).ledger


def test_a_rule_without_ledger_gets_the_built_in_ledger_rule_and_round_trips() -> None:
    stored_before = _policy()  # roles without "ledger" keys (an older stored policy)
    assert all("ledger" not in rule for rule in stored_before["roles"].values())
    policy = parse_policy(stored_before)
    built_in = default_policy()
    for role in policy.roles:
        assert policy.rule(role).ledger == built_in.rule(role).ledger, role
    assert parse_policy(json.dumps(policy_to_dict(policy))) == policy
    closed = _policy(
        roles={
            **POLICY["roles"],
            "partner": {
                "views": ["facts"],
                "scope": "supplied",
                "ledger": {"proofs": False, "entries": []},
            },
        }
    )
    partner = Caller(Role.PARTNER, "phone-maker")
    assert not evaluate(parse_policy(closed), partner, LedgerItem()).ledger
    assert not evaluate(parse_policy(closed), partner, LedgerItem("inventory.snapshot")).ledger
    assert not evaluate(parse_policy(_policy(roles={})), partner, LedgerItem()).ledger


@pytest.mark.parametrize(
    "ledger",
    [
        {"proofs": "yes", "entries": []},
        {"proofs": True},
        {"entries": ["*"]},
        {"proofs": True, "entries": "inventory.snapshot"},
        {"proofs": True, "entries": ["inv*.snapshot"]},
        {"proofs": True, "entries": [""]},
        {"proofs": True, "entries": [1]},
        {"proofs": True, "entries": [], "bodies": True},
        [],
    ],
)
def test_malformed_ledger_rules_are_refused(ledger: object) -> None:
    rule = {"views": ["facts"], "scope": "supplied", "ledger": ledger}
    with pytest.raises(PolicyError):
        parse_policy(_policy(roles={**POLICY["roles"], "partner": rule}))


def test_policy_cache_rereads_after_its_ttl(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    upgrade(url)
    engine = create_engine(url)
    now = [100.0]
    try:
        cache = PolicyCache(engine, tmp_path, ttl_s=1.0, clock=lambda: now[0])
        assert cache.cached() is None
        assert cache.reload().version == 1
        assert cache.cached() is not None
        with engine.begin() as conn:
            store_policy(conn, parse_policy(_policy(version=7)), now_ms=T0, source="test")
        now[0] += 0.5
        cached = cache.cached()
        assert cached is not None
        assert cached.version == 1  # within the TTL: the policy read before
        now[0] += 0.5
        assert cache.cached() is None  # the TTL ran out: the next read goes to the database
        assert cache.reload().version == 7
        cache.forget()
        assert cache.cached() is None
    finally:
        engine.dispose()
