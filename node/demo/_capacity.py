"""Day 4: the fab's capacity drops; the phone maker learns it two tiers up.

The fab proves, per week, that its committed capacity is below (or at least)
the module maker's committed demand and logs the fact; the module maker
forwards the fab's evidence bundle unchanged in the network's forwarded-fact
wrapper; the phone maker verifies it against the fab's pinned key. Capacity
figures are never disclosed to anyone.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from node.demo._nodes import DemoError
from node.finance import FinanceFormatError, ForwardedFact, build_forwarded

if TYPE_CHECKING:
    from node.demo._scenario import Demo

BELOW = "capacity_below_demand"


def capacity_forwarded(demo: Demo) -> None:
    story, plan = demo.story, demo.week.plan["capacity"]
    fab, module, phone = demo.node("fab"), demo.node("module"), demo.node("phone")
    story.heading(f"Day {plan['day']}: capacity drop at the fab, seen two tiers up")
    created = fab.call(
        "POST",
        "/v1/planning/facts",
        json={"fact_id": plan["fact_id"], "sku": plan["sku"], "weeks": plan["weeks"]},
    )
    relations = {w["week"]: w["relation"] for w in created["weeks"]}
    story.line(
        f"fab logs capacity fact {plan['fact_id']} (ledger entry {created['seq']}): "
        + ", ".join(f"{w} {r}" for w, r in relations.items())
    )
    bundle = fab.call("GET", f"/v1/planning/facts/{plan['fact_id']}/bundle", raw=True)
    if not isinstance(bundle, bytes):
        raise DemoError("the fab's capacity bundle is not a byte document")
    try:
        forwarded = build_forwarded(
            bundle, [ForwardedFact(created["seq"], created["subject"], BELOW)], via=module.name
        )
    except FinanceFormatError as exc:
        raise DemoError(f"the module maker cannot forward the fab's bundle: {exc}") from None
    story.line(
        f"module maker forwards the fab's bundle unchanged ({len(forwarded):,} bytes) "
        "to the phone maker"
    )
    checked = phone.call(
        "POST",
        "/v1/planning/facts/verify",
        json={
            "bundle": base64.b64encode(forwarded).decode(),
            "vkeys": [fab.vkey],
            "sku": plan["sku"],
        },
    )
    seen: list[dict[str, Any]] = []
    for fact in checked:
        for week in fact["weeks"]:
            seen.append(
                {"origin": fact["origin"], "week": week["week"], "relation": week["relation"]}
            )
            story.seen(
                "phone",
                f"fab {fact['origin']}: {plan['sku']} week {week['week']}: {week['relation']} "
                "(verified by its node against the fab's pinned key)",
            )
    story.hidden("phone", "the fab's capacity figures: committed, never opened")
    story.line(
        "the forwarded bundle opens the demand the module maker placed at the fab "
        "(its own order volume); the module maker chose to share it"
    )
    tampered = bytearray(forwarded)
    tampered[len(tampered) // 2] ^= 0x01
    refused = phone.call(
        "POST",
        "/v1/planning/facts/verify",
        expect=(400, 422),
        json={"bundle": base64.b64encode(bytes(tampered)).decode(), "vkeys": [fab.vkey]},
    )
    story.line(f"a bundle with one bit flipped is refused: {refused.get('title', refused)}")
    wrong_key = phone.call(
        "POST",
        "/v1/planning/facts/verify",
        expect=(400, 422),
        json={"bundle": base64.b64encode(forwarded).decode(), "vkeys": [module.vkey]},
    )
    story.line(
        "the same bundle pinned to the module maker's key is refused: "
        f"{wrong_key.get('title', wrong_key)} (only the fab can vouch for the fab)"
    )
    demo.outcome["capacity"] = {
        "seen_by_phone": seen,
        "tampered_refused": True,
        "wrong_key_refused": True,
        "bytes_forwarded": len(forwarded),
    }
