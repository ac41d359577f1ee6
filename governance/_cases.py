"""Exception cases with SLA clocks: open → acknowledged → resolved.

A case is a frozen value; every transition returns the new case and an event
``{"kind", "body"}`` for a ledger entry. Events carry no plaintext business
numbers: the subject (a document number and SKU, say), free text (summaries,
comments, resolutions) and evidence appear only as SHA-256 digests of their
canonical JSON; the text itself stays with the two parties. Both parties derive
the same subject from the same documents, so the same case carries the same
``subject_digest`` on both ledgers.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, Final

import rfc8785

from governance._errors import ExceptionTransitionError, GovernanceError
from governance._vocab import ExceptionType

__all__ = [
    "EVENT_ACKNOWLEDGED",
    "EVENT_BREACHED",
    "EVENT_COMMENTED",
    "EVENT_OPENED",
    "EVENT_RESOLVED",
    "CaseState",
    "Comment",
    "ExceptionCase",
    "digest",
]

EVENT_OPENED: Final = "governance.exception.opened/v1"
EVENT_ACKNOWLEDGED: Final = "governance.exception.acknowledged/v1"
EVENT_COMMENTED: Final = "governance.exception.commented/v1"
EVENT_RESOLVED: Final = "governance.exception.resolved/v1"
EVENT_BREACHED: Final = "governance.exception.breached/v1"
#: Domain tag inside the hashed bytes of a case id.
CASE_ID_TAG: Final = "scnode-governance-case-id/v1"
MAX_TEXT: Final = 4000


def digest(value: Any) -> str:
    """``sha256:<hex>`` of the RFC 8785 canonical JSON of ``value``."""
    return "sha256:" + hashlib.sha256(rfc8785.dumps(value)).hexdigest()


class CaseState(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


@dataclass(frozen=True)
class Comment:
    at: int
    author: str
    text: str


def _text(value: str, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise GovernanceError(f"{what} must be non-empty text")
    if len(value) > MAX_TEXT:
        raise GovernanceError(f"{what} is longer than {MAX_TEXT} characters")
    return value


@dataclass(frozen=True)
class ExceptionCase:
    """One exception, assigned to the node responsible for fixing it.

    ``respond_by`` is the response deadline (acknowledge or resolve by then);
    ``resolve_by`` the optional resolution deadline, both UTC ms from the SLA of
    the rule set in force when the case opened.
    """

    id: str
    type: ExceptionType
    subject: str
    assignee: str
    raised_by: str
    opened_at: int
    respond_by: int
    resolve_by: int | None
    rule_set: str
    summary: str
    evidence: tuple[dict[str, Any], ...] = ()
    state: CaseState = CaseState.OPEN
    acknowledged_at: int | None = None
    acknowledged_by: str | None = None
    resolved_at: int | None = None
    resolved_by: str | None = None
    resolution: str | None = None
    comments: tuple[Comment, ...] = ()
    breached_at: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.type, ExceptionType) or not isinstance(self.state, CaseState):
            raise GovernanceError(f"case {self.id}: unknown type or state")
        if self.respond_by < self.opened_at:
            raise GovernanceError(f"case {self.id}: response deadline before opening")

    @property
    def key(self) -> tuple[str, str, str]:
        """``(type, assignee, subject)``: at most one unresolved case per key."""
        return (self.type.value, self.assignee, self.subject)

    @property
    def is_open(self) -> bool:
        return self.state is not CaseState.RESOLVED

    def response_breached(self, now: int) -> bool:
        """Not acknowledged (nor resolved) by ``respond_by``, judged at ``now``."""
        answered = self.acknowledged_at if self.acknowledged_at is not None else self.resolved_at
        return (answered if answered is not None else now) > self.respond_by

    def resolution_breached(self, now: int) -> bool:
        if self.resolve_by is None:
            return False
        done = self.resolved_at if self.resolved_at is not None else now
        return done > self.resolve_by

    def breached(self, now: int) -> bool:
        """Any SLA deadline of this case missed, as seen at ``now``."""
        return self.response_breached(now) or self.resolution_breached(now)

    def sla_state(self, now: int) -> str:
        """``breached``, ``met`` (resolved in time), ``running`` (open, in time)."""
        if self.breached(now):
            return "breached"
        return "met" if self.state is CaseState.RESOLVED else "running"

    def next_deadline(self) -> int | None:
        """The deadline the assignee is working against now (``None`` once done)."""
        if self.state is CaseState.OPEN:
            return self.respond_by
        if self.state is CaseState.ACKNOWLEDGED:
            return self.resolve_by
        return None

    # -- transitions -------------------------------------------------------

    def _refuse(self, action: str, why: str) -> ExceptionTransitionError:
        return ExceptionTransitionError(
            f"cannot {action} exception {self.id} ({self.type.value}, {self.state.value}): {why}",
            case_id=self.id,
            state=self.state.value,
        )

    def _check_time(self, action: str, at: int) -> None:
        last = max(
            [self.opened_at]
            + [t for t in (self.acknowledged_at, self.breached_at) if t is not None]
            + [c.at for c in self.comments]
        )
        if isinstance(at, bool) or not isinstance(at, int) or at < last:
            raise self._refuse(action, f"time {at!r} is before the case's last event at {last}")

    def acknowledge(
        self, *, by: str, at: int, note: str | None = None
    ) -> tuple[ExceptionCase, dict[str, Any]]:
        """The assignee takes the case. Only ``open`` cases; only by the assignee."""
        if self.state is not CaseState.OPEN:
            raise self._refuse("acknowledge", f"it is already {self.state.value}")
        if by != self.assignee:
            raise self._refuse("acknowledge", f"only the assignee {self.assignee} can")
        self._check_time("acknowledge", at)
        case = replace(self, state=CaseState.ACKNOWLEDGED, acknowledged_at=at, acknowledged_by=by)
        if note is not None:
            case = replace(case, comments=(*case.comments, Comment(at, by, _text(note, "a note"))))
        body = self._body(by=by, at=at)
        body["note_digest"] = None if note is None else digest(note)
        body["response_breached"] = case.response_breached(at)
        return case, {"kind": EVENT_ACKNOWLEDGED, "body": body}

    def comment(self, *, by: str, at: int, text: str) -> tuple[ExceptionCase, dict[str, Any]]:
        """Either party adds a comment while the case is not resolved."""
        if self.state is CaseState.RESOLVED:
            raise self._refuse("comment on", "it is resolved")
        self._party(by, "comment on")
        self._check_time("comment on", at)
        case = replace(self, comments=(*self.comments, Comment(at, by, _text(text, "a comment"))))
        body = self._body(by=by, at=at)
        body["text_digest"] = digest(text)
        return case, {"kind": EVENT_COMMENTED, "body": body}

    def resolve(self, *, by: str, at: int, resolution: str) -> tuple[ExceptionCase, dict[str, Any]]:
        """Close the case (from ``open`` or ``acknowledged``), by the assignee or raiser."""
        if self.state is CaseState.RESOLVED:
            raise self._refuse("resolve", "it is already resolved")
        self._party(by, "resolve")
        self._check_time("resolve", at)
        case = replace(
            self,
            state=CaseState.RESOLVED,
            resolved_at=at,
            resolved_by=by,
            resolution=_text(resolution, "a resolution"),
        )
        body = self._body(by=by, at=at)
        body["resolution_digest"] = digest(resolution)
        body["response_breached"] = case.response_breached(at)
        body["resolution_breached"] = case.resolution_breached(at)
        return case, {"kind": EVENT_RESOLVED, "body": body}

    def flag_breach(self, *, at: int) -> tuple[ExceptionCase, dict[str, Any]] | None:
        """Record the first missed deadline; ``None`` if not breached or already flagged."""
        if self.breached_at is not None or not self.breached(at):
            return None
        deadline = self.respond_by if self.response_breached(at) else self.resolve_by
        case = replace(self, breached_at=at)
        body = self._body(by=self.raised_by, at=at)
        body["deadline"] = deadline
        body["deadline_kind"] = "response" if deadline == self.respond_by else "resolution"
        return case, {"kind": EVENT_BREACHED, "body": body}

    def _party(self, by: str, action: str) -> None:
        if by not in {self.assignee, self.raised_by}:
            raise self._refuse(action, f"{by!r} is neither {self.assignee} nor {self.raised_by}")

    def _body(self, *, by: str, at: int) -> dict[str, Any]:
        return {"case_id": self.id, "type": self.type.value, "by": by, "at": at}
