"""What the demo tells: a narrative for people and a summary for machines."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Say = Callable[[str], None]


@dataclass
class Story:
    """The narrative lines (printed as they come) and the machine-readable summary."""

    say: Say
    steps: list[dict[str, Any]] = field(default_factory=list)
    saw: dict[str, list[str]] = field(default_factory=dict)
    not_seen: dict[str, list[str]] = field(default_factory=dict)

    def heading(self, text: str) -> None:
        self.say("")
        self.say(f"== {text}")

    def line(self, text: str) -> None:
        self.say(f"   {text}")

    def seen(self, party: str, text: str) -> None:
        self.saw.setdefault(party, []).append(text)
        self.say(f"   [{party} sees] {text}")

    def hidden(self, party: str, text: str) -> None:
        self.not_seen.setdefault(party, []).append(text)
        self.say(f"   [{party} cannot see] {text}")

    def step(self, name: str, status: str, **details: Any) -> None:
        """Record a step's outcome: ``ran`` or ``skipped`` (with the reason)."""
        self.steps.append({"step": name, "status": status, **details})
        if status != "ran":
            self.say(f"   !! step {name} {status}: {details.get('reason', '')}")
