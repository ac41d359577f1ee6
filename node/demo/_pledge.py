"""Day 7: the module maker pledges display modules to the bank.

The module maker grants the bank sight of the item, requests a pledge; the bank
reads what it signs from the module maker's node (a signed peer request in the
bank role), co-signs, downloads the financing bundle and verifies it in-process
with the same verifier ``scnode verify`` runs, against pinned keys only. A
second pledge on the same stock, which the stock cannot cover, is refused.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import zk
from ledger import LedgerError, NoteVerifier
from node.demo._nodes import DemoError
from node.finance import (
    FinanceFormatError,
    FinancingVerificationError,
    render_report,
    verify_financing,
)
from node.witness import WitnessError, open_endorsement

if TYPE_CHECKING:
    from node.demo._scenario import Demo

DAY_MS = 86_400_000


def _request(demo: Demo, grant: str, quantity: int, period: tuple[int, int]) -> dict[str, Any]:
    plan, bank = demo.week.plan["pledge"], demo.node("bank")
    got: dict[str, Any] = demo.node(plan["borrower"]).call(
        "POST",
        "/v1/finance/pledges",
        json={
            "grant": grant,
            "bank_vkey": bank.vkey,
            "sku": plan["sku"],
            "site": plan["site"],
            "quantity": quantity,
            "from_ms": period[0],
            "to_ms": period[1],
        },
    )
    return got


def _cosign(demo: Demo, pledge_id: str) -> tuple[int, dict[str, Any]]:
    """The bank fetches the pledge text from the borrower, signs it and sends it back."""
    borrower, bank = demo.node(demo.week.plan["pledge"]["borrower"]), demo.node("bank")
    with bank.signed_client(borrower) as client:
        fetched = client.get(f"/v1/finance/pledges/{pledge_id}")
        if fetched.status_code != 200:
            raise DemoError(f"the bank cannot read pledge {pledge_id}: HTTP {fetched.status_code}")
        line = bank.keys.active.sign_line(fetched.json()["text"])
        done = client.post(f"/v1/finance/pledges/{pledge_id}/cosign", json={"signature": line})
    body: dict[str, Any] = done.json()
    return done.status_code, body


def pledges(demo: Demo) -> None:
    story, plan = demo.story, demo.week.plan["pledge"]
    borrower, bank = demo.node(plan["borrower"]), demo.node("bank")
    story.heading(f"Day {plan['day']}: inventory pledged to the bank")
    start = int(demo.outcome["started_ms"]) - 3_600_000
    period = (start, start + plan["days"] * DAY_MS)
    granted = borrower.call(
        "POST",
        "/v1/finance/grants",
        json={
            "bank": bank.name,
            "skus": [plan["sku"]],
            "sites": [plan["site"]],
            "from_ms": period[0],
            "to_ms": period[1],
        },
    )
    grant = str(granted["grant"]["id"])
    story.line(f"module maker grants {bank.name} sight of {plan['sku']} @ {plan['site']}")
    first = _request(demo, grant, plan["quantity"], period)
    status, body = _cosign(demo, str(first["id"]))
    if status != 201:
        raise DemoError(f"the bank's co-signature was refused: HTTP {status} {body}")
    story.line(
        f"pledge {first['id']} of {plan['quantity']} units requested by the module maker, "
        f"co-signed by the bank: {body['state']} (ledger entry {body['seq']})"
    )
    second = _request(demo, grant, plan["second_quantity"], period)
    status2, body2 = _cosign(demo, str(second["id"]))
    if status2 == 201:
        raise DemoError("a second pledge the stock cannot cover was accepted")
    story.line(
        f"a second pledge of {plan['second_quantity']} units on the same stock: refused "
        f"(HTTP {status2}: {body2.get('detail', body2.get('title'))})"
    )
    demo.outcome["pledges"] = {
        "first": {"id": first["id"], "state": body["state"]},
        "second": {"id": second["id"], "status": status2, "type": body2.get("type")},
    }
    _verify(demo, period)


def _verify(demo: Demo, period: tuple[int, int]) -> None:
    """The bank downloads the bundle and checks it with pinned keys, no network."""
    story, borrower, bank = demo.story, demo.node("module"), demo.node("bank")
    witnesses = _witness_round(demo)
    to_ms = int(time.time() * 1000) + 60_000
    with bank.signed_client(borrower) as client:
        got = client.get(
            "/v1/finance/bundle",
            params={"bank": bank.name, "from_ms": period[0], "to_ms": to_ms},
        )
    if got.status_code != 200:
        raise DemoError(f"the bank cannot download its bundle: HTTP {got.status_code} {got.text}")
    try:
        report = verify_financing(
            got.content,
            vkeys=[borrower.vkey],
            bank_vkeys=[bank.vkey],
            witnesses=witnesses,
            quorum=len(witnesses),
        )
    except FinancingVerificationError as exc:
        report = exc.report
    except FinanceFormatError as exc:
        raise DemoError(f"the financing bundle is malformed: {exc}") from None
    text = render_report(report)
    story.line(
        f"the bank verifies the financing bundle ({len(got.content):,} bytes) offline "
        f"against the module maker's pinned key and {len(witnesses)} witness key(s): "
        f"{'OK' if report.ok else 'FAILED'}"
    )
    story.seen(
        "bank",
        f"{len(report.pledges)} pledge(s), {len(report.snapshots)} snapshot(s) covered, "
        f"lowest coverage ratio {report.lowest_ratio_bp} bp",
    )
    _granted_view(demo)
    demo.outcome["financing"] = {
        "witnesses": len(witnesses),
        "ok": report.ok,
        "pledges": len(report.pledges),
        "snapshots": len(report.snapshots),
        "lowest_ratio_bp": report.lowest_ratio_bp,
        "problems": list(report.problems),
        "report": text,
    }


def _granted_view(demo: Demo) -> None:
    """What the grant lets the bank open: the granted bucket of the granted item."""
    story, plan = demo.story, demo.week.plan["pledge"]
    borrower, bank = demo.node(plan["borrower"]), demo.node("bank")
    with bank.signed_client(borrower) as client:
        got = client.get("/v1/facts")
    if got.status_code != 200:
        raise DemoError(f"the bank cannot read its granted facts: HTTP {got.status_code}")
    items = got.json()["items"]
    newest = max(items, key=lambda i: int(i["index"]))
    opened = []
    for bucket, hexed in newest["commitments"].items():
        opening = (newest.get("openings") or {}).get(bucket)
        if opening is None:
            continue
        try:
            zk.verify_opening(
                zk.Commitment.from_bytes(bytes.fromhex(hexed)),
                zk.Opening(int(opening["value"]), int(opening["blinding"], 16)),
            )
        except (zk.VerificationError, zk.EncodingError, zk.StatementError) as exc:
            raise DemoError(f"the {bucket} opening the bank got does not verify: {exc}") from None
        opened.append(bucket)
        story.seen(
            "bank",
            f"{newest['sku']} {bucket} = {opening['value']} in the newest snapshot "
            "(the grant opens it; the opening matches the ledger commitment)",
        )
    closed = sorted(set(newest["commitments"]) - set(opened))
    story.hidden("bank", f"{newest['sku']}'s other buckets ({', '.join(closed)}): not granted")
    skus = sorted({i["sku"] for i in items})
    story.hidden("bank", f"every item outside the grant (it reads only {', '.join(skus)})")
    demo.outcome["bank_view"] = {"skus": skus, "opened": opened, "closed": closed}


def _witness_round(demo: Demo) -> list[str]:
    """One round of the module maker's peer loop: its peers verify and cosign its
    newest checkpoint. The witness keys of those that cosigned, each read from the
    peer's endorsement and checked with the peer's pinned node key."""
    borrower = demo.node("module")
    if borrower.app is None:
        raise DemoError("the module maker's node is not running")
    report = borrower.app.state.peer_worker.run_once()
    if report.errors:
        demo.story.line(f"witness round: errors from {sorted(report.errors)}")
    cosigners = []
    for label in ("fab", "phone", "bank"):
        peer = demo.node(label)
        if borrower.peer(peer).id not in report.cosigned:
            continue
        note = peer.http.get(f"{peer.url}/v1/witness/key").text
        try:
            key = open_endorsement(note, NoteVerifier.from_vkey(peer.vkey))
        except (WitnessError, LedgerError) as exc:
            raise DemoError(f"{label}'s witness key endorsement: {exc}") from None
        cosigners.append(key.vkey)
    demo.story.line(
        f"witness round: {len(cosigners)} peer(s) of the module maker cosign its checkpoint"
    )
    return cosigners
