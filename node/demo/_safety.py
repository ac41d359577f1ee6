"""Days 5-6: the module maker's camera modules fall below safety stock.

Its day-5 export proves nothing about the item any more: the fact turns to
"below safety stock" (still no number). The phone maker's node, which verified
the fact, opens a ``below_safety_stock`` case assigned to the module maker; the
module maker acknowledges it on the phone maker's node within its response SLA
(a signed peer request), and its day-6 export, proving the item at or above
safety stock again, clears the case.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from node.demo._nodes import DemoError
from node.governance import governance_service

if TYPE_CHECKING:
    from node.demo._scenario import Demo

CASE_TYPE = "below_safety_stock"


def _publish(demo: Demo, label: str, file: str) -> dict[str, Any]:
    party = demo.week.party(label)
    data, media = demo.week.export(file, party["zone"], datetime.now(UTC))
    got: dict[str, Any] = demo.node(label).call(
        "POST",
        "/v1/inventory/snapshots",
        params={"source": party["source"]},
        content=data,
        headers={"Content-Type": media},
    )
    return got


def _observe(demo: Demo, day: int) -> list[str]:
    """The phone maker reads the module maker's facts (for the narrative); then one
    round of its peer loop verifies them and feeds its governance service, and one
    turn of its SLA loop opens or clears the cases they call for. The ids of the
    cases opened and cleared."""
    from node.demo._scenario import read_partner_facts

    read_partner_facts(demo, "phone", "module", day=f"Day {day}")
    phone = demo.node("phone")
    if phone.app is None:
        raise DemoError("the phone maker's node is not running")
    report = phone.app.state.peer_worker.run_once()
    if report.errors:
        demo.story.line(f"phone maker's peer round: errors from {sorted(report.errors)}")
    swept = governance_service(phone.app).tick()
    return [*swept.opened, *swept.cleared]


def _case(demo: Demo, case_id: str) -> dict[str, Any]:
    found: dict[str, Any] = demo.node("phone").call("GET", f"/v1/governance/exceptions/{case_id}")
    return found


def safety_stock_exception(demo: Demo) -> None:
    story, updates = demo.story, demo.week.plan["stock_updates"]
    low, back = updates[0], updates[1]
    module, phone = demo.node("module"), demo.node("phone")
    story.heading(f"Day {low['day']}: camera modules below safety stock")
    got = _publish(demo, low["party"], low["export"])
    story.line(
        f"module maker publishes its day-{low['day']} export (ledger entry {got['index']}); "
        f"its own node records {len(got['exceptions'])} below-safety case(s) internally"
    )
    changed = _observe(demo, low["day"])
    opened = [_case(demo, c) for c in changed]
    opened = [c for c in opened if c["type"] == CASE_TYPE and c["state"] == "open"]
    if not opened:
        raise DemoError("the phone maker's governance service opened no below_safety_stock case")
    case = opened[0]
    story.line(
        "(the phone maker's peer loop verified the fact itself and its SLA loop opened the case)"
    )
    story.seen(
        "phone",
        f"case {case['id']} {CASE_TYPE} for {case['assignee']}, respond by "
        f"{case['next_deadline_display']} (SLA {case['sla_state']})",
    )
    with module.signed_client(phone) as client:
        listed = client.get("/v1/governance/exceptions")
        if listed.status_code != 200 or case["id"] not in {c["id"] for c in listed.json()}:
            raise DemoError(f"the module maker cannot see case {case['id']} on the phone's node")
        story.seen("module", f"on the phone maker's node: case {case['id']} assigned to it")
        acked = client.post(
            f"/v1/governance/exceptions/{case['id']}/ack",
            json={"text": "second shift on the camera line; 2,400 units due tomorrow"},
        )
    if acked.status_code != 200:
        raise DemoError(f"the module maker's acknowledgement: HTTP {acked.status_code}")
    ack = acked.json()
    story.line(
        f"module maker acknowledges it (signed request): state {ack['state']}, "
        f"SLA {ack['sla_state']}, breached: {ack['breached_at'] is not None}"
    )
    story.heading(f"Day {back['day']}: stock restored")
    got = _publish(demo, back["party"], back["export"])
    story.line(f"module maker publishes its day-{back['day']} export (ledger entry {got['index']})")
    _observe(demo, back["day"])
    final = _case(demo, case["id"])
    story.seen(
        "phone",
        f"case {case['id']} {final['state']} ({final['resolution']}); "
        f"SLA breached: {final['breached_at'] is not None}",
    )
    demo.outcome["safety_case"] = {
        "id": case["id"],
        "assignee": case["assignee"],
        "states": [case["state"], ack["state"], final["state"]],
        "breached": final["breached_at"] is not None,
        "resolution": final["resolution"],
    }
