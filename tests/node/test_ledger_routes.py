"""The ledger over HTTP, cross-checked with the ledger package's own verifiers."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from ledger import (
    Entry,
    JSONValue,
    NoteVerifier,
    VerificationError,
    leaf_hash,
    open_checkpoint,
    verify_bundle,
    verify_consistency,
    verify_inclusion,
)
from ledger.storage import LedgerStore
from node.api.transactions import write_transaction
from node.app import create_app, make_engine
from node.auth.roles import Role
from node.auth.tokens import create_token
from node.cli import main
from node.disclosure import default_policy, policy_to_dict
from node.keys import load_keys
from node.peers.client import SignatureAuth
from node.peers.registry import PeerRegistry
from node.settings import load_settings
from tests.node.conftest import PeerIdentity

# HTTP behaviour that no database backend changes: SQLite only, to keep the suite fast.
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

ORIGIN = "ledger.example/node"
ENTRIES = 13
SIGNED_SIZES = (5, 9, ENTRIES)


@dataclass(frozen=True)
class Node:
    client: TestClient
    vkey: str
    store: LedgerStore
    auth: dict[str, str]
    admin: dict[str, str]
    home: Path


def _d(text: str) -> bytes:
    return base64.b64decode(text)


@pytest.fixture
def node(database_url: str, tmp_path: Path) -> Iterator[Node]:
    home = tmp_path / "home"
    made = CliRunner().invoke(
        main, ["--home", str(home), "init", "--name", ORIGIN, "--database-url", database_url]
    )
    assert made.exit_code == 0, made.output
    vkey = made.stdout.strip().splitlines()[-1]
    settings = load_settings(home=home)
    engine = make_engine(settings.database_url)
    store = LedgerStore.open(engine, ORIGIN)
    signers = load_keys(home).signers(1_700_000_000_000)
    for i in range(ENTRIES):
        store.append("test.item", {"n": i, "sku": f"SKU-{i}"}, 1_700_000_000_000 + i)
        if i + 1 in SIGNED_SIZES:
            store.sign_checkpoint(signers, 1_700_000_000_000 + i)
    with write_transaction(engine) as conn:
        token = create_token(conn, role=Role.AUDITOR, name="auditor").token
        admin = create_token(conn, role=Role.ADMIN, name="admin").token
    app = create_app(settings)
    # No background governance sweeps: these tests count the log's entries exactly.
    app.state.governance_sweep_s = 0
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Node(
            client,
            vkey,
            store,
            {"Authorization": f"Bearer {token}"},
            {"Authorization": f"Bearer {admin}"},
            home,
        )
    engine.dispose()


def test_checkpoint_is_signed_note_text(node: Node) -> None:
    r = node.client.get("/v1/ledger/checkpoint", headers=node.auth)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    checkpoint = open_checkpoint(r.text, [NoteVerifier.from_vkey(node.vkey)], origin=ORIGIN)
    assert checkpoint.size == ENTRIES
    assert checkpoint.root == node.store.root(ENTRIES)


@SQLITE_ONLY
def test_ledger_needs_authentication(node: Node) -> None:
    for path in ("/v1/ledger/checkpoint", "/v1/ledger/entries/0", "/v1/ledger/bundle"):
        r = node.client.get(path)
        assert r.status_code == 401
        assert r.headers["content-type"] == "application/problem+json"


def test_entry_by_index(node: Node) -> None:
    r = node.client.get("/v1/ledger/entries/3", headers=node.auth)
    assert r.status_code == 200
    got = r.json()
    leaf = _d(got["leaf"])
    entry = Entry.from_leaf(leaf)
    assert (entry.seq, entry.kind, entry.body, entry.origin) == (
        3,
        "test.item",
        got["body"],
        ORIGIN,
    )
    assert got["body"] == {"n": 3, "sku": "SKU-3"}
    assert _d(got["leaf_hash"]) == leaf_hash(leaf)
    assert got["timestamp_ms"] == 1_700_000_000_003
    assert node.client.get(f"/v1/ledger/entries/{ENTRIES}", headers=node.auth).status_code == 404
    assert node.client.get("/v1/ledger/entries/-1", headers=node.auth).status_code == 422
    assert node.client.get("/v1/ledger/entries/x", headers=node.auth).status_code == 422


def test_deleted_payload_keeps_hash(node: Node) -> None:
    node.store.delete_payloads([2])
    got = node.client.get("/v1/ledger/entries/2", headers=node.auth).json()
    assert (got["leaf"], got["body"]) == (None, None)
    assert _d(got["leaf_hash"]) == node.store.entry(2).leaf_hash
    r = node.client.get("/v1/ledger/bundle", params={"entries": "1-3"}, headers=node.auth)
    assert r.status_code == 410


def test_entry_listing(node: Node) -> None:
    page = node.client.get(
        "/v1/ledger/entries", params={"start": 4, "end": 8}, headers=node.auth
    ).json()
    assert (page["size"], page["start"], page["end"]) == (ENTRIES, 4, 8)
    assert [e["index"] for e in page["entries"]] == [4, 5, 6, 7]
    tail = node.client.get("/v1/ledger/entries", params={"start": 10}, headers=node.auth).json()
    assert [e["index"] for e in tail["entries"]] == [10, 11, 12]
    beyond = node.client.get("/v1/ledger/entries", params={"start": 50}, headers=node.auth).json()
    assert (beyond["entries"], beyond["end"]) == ([], 50)
    for params in ({"start": 5, "end": 4}, {"start": 0, "end": 1001}):
        assert (
            node.client.get("/v1/ledger/entries", params=params, headers=node.auth).status_code
            == 400
        )
    assert (
        node.client.get("/v1/ledger/entries", params={"start": -1}, headers=node.auth).status_code
        == 422
    )


def test_inclusion_proofs_verify_against_signed_checkpoints(node: Node) -> None:
    verifier = NoteVerifier.from_vkey(node.vkey)
    for size in SIGNED_SIZES:
        for index in range(size):
            r = node.client.get(
                "/v1/ledger/proof/inclusion",
                params={"index": index, "size": size},
                headers=node.auth,
            )
            assert r.status_code == 200, r.text
            got = r.json()
            checkpoint = open_checkpoint(got["checkpoint"], [verifier], origin=ORIGIN)
            assert (checkpoint.size, got["size"], got["index"]) == (size, size, index)
            proof = [_d(h) for h in got["hashes"]]
            verify_inclusion(_d(got["leaf_hash"]), index, size, proof, checkpoint.root)
            assert got["tlog_proof"].startswith("c2sp.org/tlog-proof@v1\n")
            if size > 1:
                with pytest.raises(VerificationError):
                    verify_inclusion(
                        _d(got["leaf_hash"]), (index + 1) % size, size, proof, checkpoint.root
                    )


def test_inclusion_proof_defaults_and_refusals(node: Node) -> None:
    got = node.client.get(
        "/v1/ledger/proof/inclusion", params={"index": 0}, headers=node.auth
    ).json()
    assert got["size"] == ENTRIES
    unsigned = node.client.get(
        "/v1/ledger/proof/inclusion", params={"index": 0, "size": 7}, headers=node.auth
    ).json()
    assert (unsigned["checkpoint"], unsigned["tlog_proof"]) == (None, None)
    assert _d(unsigned["root"]) == node.store.root(7)
    for params, status in (
        ({"index": 5, "size": 5}, 404),
        ({"index": 0, "size": ENTRIES + 1}, 404),
        ({"index": 0, "size": 0}, 422),
        ({"size": 3}, 422),
    ):
        r = node.client.get("/v1/ledger/proof/inclusion", params=params, headers=node.auth)
        assert r.status_code == status, (params, r.text)
        assert r.headers["content-type"] == "application/problem+json"


def test_consistency_proofs_verify(node: Node) -> None:
    verifier = NoteVerifier.from_vkey(node.vkey)
    roots = {
        size: open_checkpoint(
            node.client.get(
                "/v1/ledger/proof/inclusion", params={"index": 0, "size": size}, headers=node.auth
            ).json()["checkpoint"],
            [verifier],
        ).root
        for size in SIGNED_SIZES
    }
    for old in range(1, ENTRIES + 1):
        for new in SIGNED_SIZES:
            if old > new:
                continue
            got = node.client.get(
                "/v1/ledger/proof/consistency", params={"old": old, "new": new}, headers=node.auth
            ).json()
            assert _d(got["new_root"]) == roots[new]
            proof = [_d(h) for h in got["hashes"]]
            verify_consistency(old, new, proof, _d(got["old_root"]), roots[new])
            if old in roots:
                assert _d(got["old_root"]) == roots[old]
    default = node.client.get("/v1/ledger/proof/consistency", params={"old": 5}, headers=node.auth)
    assert default.json()["new"] == ENTRIES
    for params, status in (
        ({"old": 9, "new": 5}, 400),
        ({"old": 1, "new": 99}, 404),
        ({"old": 0}, 422),
    ):
        r = node.client.get("/v1/ledger/proof/consistency", params=params, headers=node.auth)
        assert r.status_code == status, params


def test_bundle_verifies_offline(node: Node) -> None:
    r = node.client.get("/v1/ledger/bundle", params={"entries": "0-2,7"}, headers=node.auth)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    report = verify_bundle(r.content, vkeys=[node.vkey], origin=ORIGIN)
    assert [e.index for e in report.entries] == [0, 1, 2, 7]
    everything = node.client.get("/v1/ledger/bundle", headers=node.auth)
    assert len(json.loads(everything.content)["entries"]) == ENTRIES
    verify_bundle(everything.content, vkeys=[node.vkey])


@SQLITE_ONLY
@pytest.mark.parametrize("spec", ["", "a", "1-", "3-1", "0-13", "-1", "1,,2", "١"])
def test_bad_bundle_selection_is_400(node: Node, spec: str) -> None:
    r = node.client.get("/v1/ledger/bundle", params={"entries": spec}, headers=node.auth)
    assert r.status_code == 400, r.text
    assert r.headers["content-type"] == "application/problem+json"


def test_metrics_show_ledger_size(node: Node) -> None:
    text = node.client.get("/metrics").text
    assert f"scnode_ledger_size_entries {float(ENTRIES)}" in text


@SQLITE_ONLY
def test_uninitialised_node_is_503(client: TestClient, tokens: object) -> None:
    from tests.node.conftest import Tokens

    assert isinstance(tokens, Tokens)
    r = client.get("/v1/ledger/checkpoint", headers=tokens.header(Role.PARTNER))
    assert r.status_code == 503
    assert "scnode init" in r.json()["detail"]


def test_signed_peer_reads_the_ledger(node: Node, peer_identity: PeerIdentity) -> None:
    with write_transaction(node.store.engine) as conn:
        PeerRegistry(conn).add(url="https://alpha.example", vkey=peer_identity.vkey, role=Role.BANK)
    auth = SignatureAuth(peer_identity.key, peer_identity.keyid)
    r = node.client.get("/v1/ledger/checkpoint", auth=auth)
    assert r.status_code == 200, r.text
    assert r.text.startswith(f"{ORIGIN}\n{ENTRIES}\n")
    stranger = SignatureAuth(Ed25519PrivateKey.generate(), "someone+00000000")
    assert node.client.get("/v1/ledger/checkpoint", auth=stranger).status_code == 401


def test_peer_membership_becomes_ledger_entries(node: Node, peer_identity: PeerIdentity) -> None:
    body = {"url": "https://alpha.example", "vkey": peer_identity.vkey, "role": "partner"}
    added = node.client.post("/v1/peers", json=body, headers=node.admin)
    assert added.status_code == 201, added.text
    assert added.json()["ledger_index"] == ENTRIES
    entry = node.client.get(f"/v1/ledger/entries/{ENTRIES}", headers=node.auth).json()
    assert entry["kind"] == "peer.add"
    assert entry["body"] == {
        "peer_id": added.json()["id"],
        "url": "https://alpha.example",
        "vkey": peer_identity.vkey,
        "role": "partner",
    }
    removed = node.client.delete(f"/v1/peers/{added.json()['id']}", headers=node.admin).json()
    assert removed["ledger_index"] == ENTRIES + 1
    checkpoint = node.client.get("/v1/ledger/checkpoint", headers=node.auth).text
    opened = open_checkpoint(checkpoint, [NoteVerifier.from_vkey(node.vkey)])
    assert opened.size == ENTRIES + 2
    listing = node.client.get("/v1/ledger/entries", params={"start": ENTRIES}, headers=node.auth)
    assert [e["kind"] for e in listing.json()["entries"]] == ["peer.add", "peer.remove"]


def test_cli_peer_membership_becomes_ledger_entries(
    node: Node, peer_identity: PeerIdentity
) -> None:
    home = ["--home", str(node.home)]
    r = CliRunner().invoke(
        main,
        [
            *home,
            "peer",
            "add",
            "https://a.example",
            "--vkey",
            peer_identity.vkey,
            "--role",
            "bank",
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["ledger_index"] == ENTRIES
    assert node.store.entry(ENTRIES).kind == "peer.add"
    r = CliRunner().invoke(main, [*home, "peer", "remove", json.loads(r.stdout)["id"]])
    assert r.exit_code == 0, r.output
    assert f"ledger entry {ENTRIES + 1}" in r.stdout
    assert node.store.entry(ENTRIES + 1).kind == "peer.remove"


# -- disclosure: what each role may read of the ledger ----------------------------


def _token(node: Node, role: Role, name: str) -> dict[str, str]:
    with write_transaction(node.store.engine) as conn:
        token = create_token(conn, role=role, name=name).token
    return {"Authorization": f"Bearer {token}"}


def _append_signed(node: Node, kind: str, body: dict[str, JSONValue]) -> int:
    done = node.store.append(kind, body, 1_700_000_100_000)
    node.store.sign_checkpoint(load_keys(node.home).signers(1_700_000_100_000), 1_700_000_100_000)
    return done.seq


def test_partner_reads_proofs_and_only_the_entry_kinds_its_policy_grants(node: Node) -> None:
    partner = _token(node, Role.PARTNER, "module-maker")
    snapshot = _append_signed(node, "inventory.snapshot", {"snapshot": "s1", "positions": []})
    size = snapshot + 1
    # the checkpoint and the proofs: hashes and signatures, for every role of the default policy
    checkpoint = node.client.get("/v1/ledger/checkpoint", headers=partner)
    assert checkpoint.status_code == 200
    opened = open_checkpoint(checkpoint.text, [NoteVerifier.from_vkey(node.vkey)], origin=ORIGIN)
    assert opened.size == size
    proof = node.client.get("/v1/ledger/proof/inclusion", params={"index": 3}, headers=partner)
    assert proof.status_code == 200
    got = proof.json()
    verify_inclusion(_d(got["leaf_hash"]), 3, size, [_d(h) for h in got["hashes"]], opened.root)
    consistency = node.client.get(
        "/v1/ledger/proof/consistency", params={"old": 5}, headers=partner
    )
    assert consistency.status_code == 200
    # entries: the snapshot (granted kind), never the test items (not granted)
    assert node.client.get(f"/v1/ledger/entries/{snapshot}", headers=partner).status_code == 200
    refused = node.client.get("/v1/ledger/entries/3", headers=partner)
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert "SKU-3" not in refused.text
    listed = node.client.get("/v1/ledger/entries", params={"start": 0}, headers=partner).json()
    assert [e["index"] for e in listed["entries"]] == [snapshot]
    assert listed["end"] == size
    # the auditor (all kinds by default) sees every entry
    assert node.client.get("/v1/ledger/entries/3", headers=node.auth).status_code == 200
    full = node.client.get("/v1/ledger/entries", params={"start": 0}, headers=node.auth).json()
    assert len(full["entries"]) == size


def test_bundles_hold_only_disclosed_entries(node: Node) -> None:
    partner = _token(node, Role.PARTNER, "module-maker")
    snapshot = _append_signed(node, "inventory.snapshot", {"snapshot": "s1", "positions": []})
    bundle = node.client.get("/v1/ledger/bundle", headers=partner)
    assert bundle.status_code == 200, bundle.text
    report = verify_bundle(bundle.content, vkeys=[node.vkey], origin=ORIGIN)
    assert [e.index for e in report.entries] == [snapshot]
    chosen = node.client.get("/v1/ledger/bundle", params={"entries": "2"}, headers=partner)
    assert chosen.status_code == 403
    mixed = node.client.get(
        "/v1/ledger/bundle", params={"entries": f"2,{snapshot}"}, headers=partner
    )
    assert mixed.status_code == 403


def test_a_bank_reads_finance_entries_not_documents(node: Node) -> None:
    bank = _token(node, Role.BANK, "bank-one")
    pledge = _append_signed(node, "finance.pledge", {"pledge": "p1"})
    document = _append_signed(node, "document.sent", {"hash": "h", "counterparty": "x"})
    assert node.client.get(f"/v1/ledger/entries/{pledge}", headers=bank).status_code == 200
    assert node.client.get(f"/v1/ledger/entries/{document}", headers=bank).status_code == 403
    partner = _token(node, Role.PARTNER, "module-maker")
    assert node.client.get(f"/v1/ledger/entries/{pledge}", headers=partner).status_code == 403
    assert node.client.get(f"/v1/ledger/entries/{document}", headers=partner).status_code == 403


@SQLITE_ONLY
def test_a_policy_file_can_close_the_ledger_to_a_role(node: Node) -> None:
    policy = policy_to_dict(default_policy())
    policy["version"] = 2
    policy["roles"]["partner"]["ledger"] = {"proofs": False, "entries": []}
    (node.home / "disclosure-policy.json").write_text(json.dumps(policy))
    partner = _token(node, Role.PARTNER, "module-maker")
    for path, params in [
        ("/v1/ledger/checkpoint", {}),
        ("/v1/ledger/proof/inclusion", {"index": 1}),
        ("/v1/ledger/proof/inclusion", {"index": 1, "size": 5}),
        ("/v1/ledger/proof/consistency", {"old": 5}),
        ("/v1/ledger/bundle", {}),
    ]:
        r = node.client.get(path, params=params, headers=partner)
        assert r.status_code == 403, (path, r.text)
        assert r.json()["type"].endswith("not-disclosed")
    assert node.client.get("/v1/ledger/checkpoint", headers=node.auth).status_code == 200


def test_served_checkpoint_follows_new_checkpoints_and_cosignatures(node: Node) -> None:
    """Nothing is cached: the next read shows a new append's checkpoint and a new
    cosignature line."""
    first = node.client.get("/v1/ledger/checkpoint", headers=node.auth).text
    seq = _append_signed(node, "test.item", {"n": 99})
    second = node.client.get("/v1/ledger/checkpoint", headers=node.auth).text
    assert second != first
    assert second.startswith(f"{ORIGIN}\n{seq + 1}\n")
    proof = node.client.get(
        "/v1/ledger/proof/inclusion", params={"index": seq}, headers=node.auth
    ).json()
    assert proof["size"] == seq + 1
    assert proof["checkpoint"] == second
    line = "\u2014 witness.example/w AAAA\n"
    node.store.add_cosignatures(seq + 1, [line.rstrip("\n")])
    third = node.client.get("/v1/ledger/checkpoint", headers=node.auth).text
    assert third == second + line
