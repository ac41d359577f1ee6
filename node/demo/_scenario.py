"""The three-tier week: a wafer fab, a module maker, a phone maker and a bank.

Four real nodes on loopback; the week of examples/three_tier/week.json played
through their HTTP APIs. Every outcome narrated is one a node answered or a
verifier checked; a step the service cannot do is reported as skipped.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from node.auth.roles import Role
from node.demo._data import Week, load_week
from node.demo._nodes import DemoError, DemoNode, make_node
from node.demo._policies import policy
from node.demo._story import Say, Story

LABELS = ("fab", "module", "phone", "bank")


@dataclass
class Demo:
    week: Week
    story: Story
    nodes: dict[str, DemoNode] = field(default_factory=dict)
    outcome: dict[str, Any] = field(default_factory=dict)

    def node(self, label: str) -> DemoNode:
        return self.nodes[label]

    def name(self, label: str) -> str:
        return str(self.week.party(label)["name"])

    def attempt(self, name: str, run: Callable[[], None]) -> bool:
        try:
            run()
        except DemoError as exc:
            self.story.step(name, "skipped", reason=str(exc))
            return False
        except httpx.HTTPError as exc:
            self.story.step(name, "skipped", reason=f"HTTP failure: {exc.__class__.__name__}")
            return False
        self.story.step(name, "ran")
        return True

    def stop(self) -> None:
        for node in self.nodes.values():
            node.stop()


def setup(demo: Demo, root: Path, *, background: bool, tick: Callable[[], None]) -> None:
    """Home folders, policies, profiles, servers, peers."""
    week, names = demo.week, {label: demo.name(label) for label in LABELS}
    policies = {
        "fab": policy([(names["module"], "WAF-*")]),
        "module": policy([(names["phone"], "MOD-*")]),
        "phone": policy([]),
        "bank": None,
    }
    for label in LABELS:
        node = make_node(root, label, names[label], policies[label])
        source = week.party(label).get("source")
        if source:
            week.install_profile(node.home, source)
        demo.nodes[label] = node
        tick()
    fab, module, phone, bank = (demo.node(x) for x in LABELS)
    links = [(fab, module, Role.PARTNER), (module, phone, Role.PARTNER)]
    for a, b, role in links:
        a.add_peer(b, role)
        b.add_peer(a, role)
    module.add_peer(bank, Role.BANK)
    bank.add_peer(module, Role.PARTNER)
    for label in LABELS:
        demo.node(label).start(background=background)
        tick()
    story = demo.story
    story.heading("Day 0: four nodes on loopback")
    for label in LABELS:
        node = demo.node(label)
        story.line(f"{week.party(label)['title']:<40} {node.name:<22} {node.url}")
    story.line("peers: fab <-> module maker <-> phone maker; module maker <-> bank")
    story.line("the phone maker and the fab are not peers: the fab's numbers never reach it")


def publish_exports(demo: Demo) -> None:
    """Day 1: every supplier uploads its ERP export in its own vocabulary."""
    story, week = demo.story, demo.week
    story.heading("Day 1: ERP exports mapped and published")
    published: dict[str, Any] = {}
    for label in ("fab", "module", "phone"):
        party = week.party(label)
        data, media = week.export(party["export"], party["zone"], datetime.now(UTC))
        header = _fields(data)
        got = demo.node(label).call(
            "POST",
            "/v1/inventory/snapshots",
            params={"source": party["source"]},
            content=data,
            headers={"Content-Type": media},
        )
        facts = [f["fact"] for p in got["positions"] for f in p["facts"]]
        published[label] = {"index": got["index"], "positions": len(got["positions"])}
        story.line(
            f"{label}: export [{header}] mapped by profile {party['source']} "
            f"(v{got['mapping_profile_version']}): ledger entry {got['index']}, "
            f"{len(got['positions'])} positions, facts {sorted(set(facts))}"
        )
    demo.outcome["published"] = published
    read_partner_facts(demo, "phone", "module", day="Day 1")
    read_partner_facts(demo, "module", "fab", day="Day 1")
    cannot_see(demo)


def _fields(data: bytes) -> str:
    text = data.decode("utf-8")
    if text.lstrip().startswith("["):
        return ", ".join(json.loads(text)[0])
    return text.splitlines()[0].replace(",", ", ")


def read_partner_facts(
    demo: Demo, reader: str, owner: str, *, day: str
) -> list[tuple[dict[str, Any], str]]:
    """``reader`` reads and verifies every fact ``owner`` discloses to it."""
    from node.demo._facts import read_facts

    story = demo.story
    with demo.node(reader).signed_client(demo.node(owner)) as client:
        items = read_facts(client, demo.name(owner))
    seen = demo.outcome.setdefault("facts_seen", {}).setdefault(reader, [])
    for item, fact in items:
        proven = "proven" if fact.endswith("at_least_safety_stock") else "stated, no proof"
        text = f"{owner}: available stock of {item['sku']} @ {item['location']}"
        if fact.endswith("at_least_safety_stock"):
            text += f" >= safety stock: {proven} (zk range proof verified)"
        else:
            text += " is BELOW safety stock"
        story.seen(reader, f"{day}: {text}")
        seen.append({"day": day, "owner": owner, "sku": item["sku"], "fact": fact})
        numbers = [k for k in ("quantities", "safety_stock", "openings") if item.get(k)]
        if numbers:
            raise DemoError(f"{reader} was shown {numbers} of {owner}'s {item['sku']}")
    return items


def cannot_see(demo: Demo) -> None:
    """What the disclosure policies and the topology keep from each party."""
    story = demo.story
    hidden = demo.outcome.setdefault("refused", [])
    checks = [
        ("phone", "module", "/v1/inventory/positions", "module maker's plaintext quantities"),
        ("module", "fab", "/v1/inventory/positions", "fab's plaintext quantities"),
        ("bank", "module", "/v1/facts", "module maker's facts before any grant"),
        ("module", "phone", "/v1/facts", "phone maker's stock facts (its policy names no one)"),
    ]
    for reader, owner, path, what in checks:
        with demo.node(reader).signed_client(demo.node(owner)) as client:
            got = client.get(path)
        if got.status_code == 200:
            body = got.json()
            items = body.get("items", body.get("positions", []))
            if items:
                raise DemoError(f"{reader} read {what}: {len(items)} items")
            result = "an empty list"
        else:
            result = f"HTTP {got.status_code}"
        story.hidden(reader, f"{what} ({path} answered {result})")
        hidden.append({"reader": reader, "owner": owner, "path": path, "answer": result})
    story.hidden(
        "phone",
        "the numbers behind any fact: 'available >= safety' is proven, never the stock level",
    )
    story.hidden("phone", "anything of the fab: not a peer, no policy entry, no route")


def run_week(
    root: Path,
    *,
    say: Say,
    background: bool = False,
    tick: Callable[[], None] = lambda: None,
    data_dir: Path | None = None,
) -> Demo:
    """Start the network under ``root`` and play the week; the caller stops it."""
    demo = Demo(load_week(data_dir), Story(say))
    started = time.monotonic()
    demo.outcome["started_ms"] = int(time.time() * 1000)
    try:
        setup(demo, root, background=background, tick=tick)
        demo.attempt("publish-and-read-facts", lambda: publish_exports(demo))
        tick()
        from node.demo._steps import STEPS

        for name, step in STEPS:
            demo.attempt(name, lambda step=step: step(demo))  # type: ignore[misc]
            tick()
        finish(demo)
    except BaseException:
        demo.stop()
        raise
    demo.outcome["wall_s"] = round(time.monotonic() - started, 2)
    return demo


def finish(demo: Demo) -> None:
    """The ending: what ran, the dashboard, the credit officer's report."""
    story = demo.story
    dashboard = f"{demo.node('phone').url}/dashboard"
    demo.outcome["dashboard"] = dashboard
    story.heading("The week, in short")
    for step in story.steps:
        story.line(f"{step['step']:<26} {step['status']}")
    _dashboard_rows(demo)
    story.line(f"phone maker's health dashboard: {dashboard}")
    financing = demo.outcome.get("financing")
    if financing is not None:
        story.heading("Financing report (the bank's offline verification)")
        for line in str(financing["report"]).splitlines():
            story.line(line)


def _dashboard_rows(demo: Demo) -> None:
    """A last peer round on every node, then the phone maker's dashboard rows."""
    for node in demo.nodes.values():
        if node.app is not None:
            node.app.state.peer_worker.run_once()
    try:
        view = demo.node("phone").call("GET", "/v1/governance/dashboard")
    except DemoError as exc:
        demo.story.line(f"dashboard view not available: {exc}")
        return
    rows = []
    for row in view.get("rows", []):
        cells = [f"{c['key']} {c['display']}" for c in row["cells"] if c["status"] != "none"]
        rows.append({"partner": row["partner"], "status": row["status"], "cells": cells})
        demo.story.seen(
            "phone", f"dashboard row {row['partner']}: {row['status']}; {', '.join(cells)}"
        )
    demo.outcome["dashboard_rows"] = rows
    opened = demo.node("phone").call("GET", "/v1/governance/exceptions", params={"state": "open"})
    for case in opened:
        demo.story.seen("phone", f"open case {case['id']} {case['type']}: {case['summary']}")


def write_tokens(demo: Demo, root: Path) -> Path:
    """The nodes' admin tokens, for exploring a kept network (a 0600 file, never printed)."""
    path = root / "admin-tokens.txt"
    text = "".join(f"{label} {node.url} {node.admin}\n" for label, node in demo.nodes.items())
    path.touch(mode=0o600)
    path.write_text(text)
    return path


def summary(demo: Demo) -> dict[str, Any]:
    """The machine-readable outcome: steps, what each party saw and could not see."""
    return {
        "format": "scnode-demo-summary/v1",
        "nodes": {label: {"name": n.name, "url": n.url} for label, n in demo.nodes.items()},
        "steps": demo.story.steps,
        "saw": demo.story.saw,
        "could_not_see": demo.story.not_seen,
        **demo.outcome,
    }
