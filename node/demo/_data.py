"""The scenario's data: examples/three_tier/ (exports, mapping profiles, the week)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from semantic_mapping import MappingProfile, load_vocabulary, new_profile, profile_to_turtle

#: profiles are approved once, at a fixed time, so the files never change
APPROVED_AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
WEEK_FORMAT = "scnode-demo-week/v1"


def default_data_dir() -> Path:
    """examples/three_tier/ of this source tree."""
    return Path(__file__).resolve().parents[2] / "examples" / "three_tier"


@dataclass(frozen=True)
class Week:
    folder: Path
    plan: dict[str, Any]

    def party(self, label: str) -> dict[str, Any]:
        found: dict[str, Any] = self.plan["parties"][label]
        return found

    def export(self, file: str, zone: str, now: datetime) -> tuple[bytes, str]:
        """An export with its as-of times filled in (a minute before ``now``, in ``zone``)."""
        offset = timedelta(0) if zone == "Z" else _offset(zone)
        as_of = (now - timedelta(minutes=1)).astimezone(timezone(offset)).replace(microsecond=0)
        stamp = as_of.replace(tzinfo=None).isoformat(sep=" ")
        text = (self.folder / file).read_text(encoding="utf-8").replace("{as_of}", stamp)
        media = "application/json" if file.endswith(".json") else "text/csv"
        return text.encode("utf-8"), media

    def profile(self, source: str) -> MappingProfile:
        spec = json.loads((self.folder / "profiles" / f"{source}.json").read_text("utf-8"))
        vocabulary = load_vocabulary()
        made = new_profile(spec["source"], timezone=spec["timezone"])
        for field, concept in spec["fields"].items():
            made = made.approve_field(
                vocabulary,
                source_field=field,
                concept=concept,
                approved_by=spec["approved_by"],
                now=APPROVED_AT,
            )
        return made

    def install_profile(self, home: Path, source: str) -> None:
        folder = home / "mapping" / "profiles"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{source}.ttl").write_text(profile_to_turtle(self.profile(source)))


def _offset(zone: str) -> timedelta:
    sign = -1 if zone.startswith("-") else 1
    hours, minutes = zone[1:].split(":")
    return sign * timedelta(hours=int(hours), minutes=int(minutes))


def load_week(folder: Path | None = None) -> Week:
    where = folder or default_data_dir()
    plan = json.loads((where / "week.json").read_text("utf-8"))
    if plan.get("format") != WEEK_FORMAT:
        raise ValueError(f"{where / 'week.json'} is not a {WEEK_FORMAT} document")
    return Week(where, plan)
