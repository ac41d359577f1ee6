"""The state machine of one purchase-order chain (pure: values in, values out).

A chain is every document about one purchase order: its versions (change orders),
the acknowledgement of each version, despatch advices and goods receipts.
:func:`apply` takes the chain's state and one signed document and returns the new
state and the governance findings the document raises, or refuses the document
with :class:`TransitionError` saying why.

The checks only ever compare a document with the documents it references, so two
documents that do not reference each other (a change order racing a despatch)
are accepted in either order and both sides of the chain reach the same state;
where their combination matters (more shipped than the new version orders) a
finding says so instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Final

from governance import (
    Finding,
    GovernanceError,
    PartnerProfile,
    RuleSet,
    Severity,
    compare_receipt,
)
from node.documents._errors import TransitionError
from node.documents._models import (
    AckStatus,
    DespatchAdvice,
    Document,
    GoodsReceipt,
    OrderAck,
    PurchaseOrder,
    document_json,
)

__all__ = ["OVER_SHIPMENT", "ChainState", "ChainStatus", "apply"]

#: Rule id of the finding "shipped more than the current version orders".
OVER_SHIPMENT: Final = "document.over_shipment"


class ChainStatus:
    ORDERED: Final = "ordered"
    CHANGED: Final = "changed"
    ACKNOWLEDGED: Final = "acknowledged"
    REJECTED: Final = "rejected"
    IN_DELIVERY: Final = "in_delivery"
    CLOSED: Final = "closed"


@dataclass(frozen=True)
class ChainState:
    """Everything accepted so far in one chain, each document with its hash."""

    chain_id: str
    buyer: str
    supplier: str
    versions: tuple[tuple[PurchaseOrder, str], ...]
    acks: Mapping[int, tuple[OrderAck, str]] = field(default_factory=dict)
    despatches: Mapping[str, tuple[DespatchAdvice, str]] = field(default_factory=dict)
    receipts: Mapping[str, tuple[GoodsReceipt, str]] = field(default_factory=dict)

    @property
    def latest(self) -> PurchaseOrder:
        return self.versions[-1][0]

    def hashes(self) -> frozenset[str]:
        out = {h for _, h in self.versions}
        out |= {h for _, h in self.acks.values()}
        out |= {h for _, h in self.despatches.values()}
        out |= {h for _, h in self.receipts.values()}
        return frozenset(out)

    def shipped(self) -> dict[int, int]:
        """Quantity shipped per PO line, over every despatch."""
        out: dict[int, int] = {}
        for advice, _ in self.despatches.values():
            for line in advice.lines:
                out[line.line] = out.get(line.line, 0) + line.quantity_shipped
        return out

    def received(self) -> dict[int, int]:
        out: dict[int, int] = {}
        for receipt, _ in self.receipts.values():
            for line in receipt.lines:
                out[line.line] = out.get(line.line, 0) + line.quantity_received
        return out

    @property
    def status(self) -> str:
        latest = self.latest
        ack = self.acks.get(latest.version)
        if ack is not None and ack[0].status is AckStatus.REJECTED:
            return ChainStatus.REJECTED
        received = self.received()
        if self.receipts and all(
            received.get(x.line, 0) >= x.quantity_ordered for x in latest.lines
        ):
            return ChainStatus.CLOSED
        if self.despatches:
            return ChainStatus.IN_DELIVERY
        if ack is not None:
            return ChainStatus.ACKNOWLEDGED
        return ChainStatus.CHANGED if latest.version > 1 else ChainStatus.ORDERED

    @property
    def closed(self) -> bool:
        return self.status in (ChainStatus.CLOSED, ChainStatus.REJECTED)


def _accepted(po: PurchaseOrder, ack: OrderAck) -> dict[int, int]:
    """Accepted quantity per line of ``po`` under ``ack``."""
    if ack.status is AckStatus.ACCEPTED:
        return {x.line: x.quantity_ordered for x in po.lines}
    if ack.status is AckStatus.REJECTED:
        return {}
    return {x.line: x.quantity_accepted for x in ack.lines}


def _over_shipment(state: ChainState, rules: RuleSet) -> list[Finding]:
    shipped = state.shipped()
    out = []
    for line in state.latest.lines:
        sent = shipped.get(line.line, 0)
        if sent > line.quantity_ordered:
            out.append(
                Finding(
                    rule_id=OVER_SHIPMENT,
                    rule_set=rules.id,
                    rule_version=rules.version,
                    severity=Severity.WARNING,
                    field=f"lines[{line.line}].quantity_ordered",
                    message=f"line {line.line} ({line.sku}): {sent} shipped, version "
                    f"{state.latest.version} orders {line.quantity_ordered}",
                    subject=f"purchase_order:{state.latest.po_number}",
                )
            )
    return out


def _po(state: ChainState | None, po: PurchaseOrder, digest: str) -> ChainState:
    if state is None:
        if po.version != 1:
            raise TransitionError(
                f"change order version {po.version} for unknown purchase order {po.po_number}"
            )
        return ChainState(po.chain_id, po.buyer, po.supplier, ((po, digest),))
    latest, latest_hash = state.versions[-1]
    if po.version == 1:
        raise TransitionError(f"purchase order {po.po_number} exists already")
    if state.closed:
        raise TransitionError(f"purchase order {po.po_number} is {state.status}: no change orders")
    if po.version != latest.version + 1 or po.supersedes != latest_hash:
        raise TransitionError(
            f"change order must be version {latest.version + 1} superseding the latest version"
        )
    return replace(state, versions=(*state.versions, (po, digest)))


def _version(state: ChainState, version: int, digest: str | None, what: str) -> PurchaseOrder:
    for po, h in state.versions:
        if po.version == version and (digest is None or h == digest):
            return po
    raise TransitionError(f"{what} refers to unknown version {version} of the purchase order")


def _ack(state: ChainState, ack: OrderAck, digest: str) -> ChainState:
    po = _version(state, ack.po_version, ack.po_hash, "acknowledgement")
    if ack.po_version in state.acks:
        raise TransitionError(f"version {ack.po_version} has been acknowledged already")
    if state.closed:
        raise TransitionError(f"purchase order {po.po_number} is {state.status}")
    lines = po.line_map()
    for line in ack.lines:
        ordered = lines.get(line.line)
        if ordered is None:
            raise TransitionError(f"acknowledgement names line {line.line}, not on the order")
        if line.quantity_accepted > ordered.quantity_ordered:
            raise TransitionError(
                f"line {line.line}: accepts {line.quantity_accepted}, "
                f"order is for {ordered.quantity_ordered}"
            )
    return replace(state, acks={**state.acks, ack.po_version: (ack, digest)})


def _despatch(state: ChainState, advice: DespatchAdvice, digest: str) -> ChainState:
    ack_entry = state.acks.get(advice.po_version)
    if ack_entry is None or ack_entry[1] != advice.ack_hash:
        raise TransitionError(
            f"despatch {advice.despatch_number}: version {advice.po_version} is not acknowledged"
        )
    ack = ack_entry[0]
    if ack.status is AckStatus.REJECTED:
        raise TransitionError(f"despatch against rejected version {advice.po_version}")
    if advice.despatch_number in state.despatches:
        raise TransitionError(f"despatch {advice.despatch_number} exists already")
    if state.status == ChainStatus.CLOSED:
        raise TransitionError(f"purchase order {advice.po_number} is closed")
    po = _version(state, advice.po_version, None, "despatch")
    lines, accepted, shipped = po.line_map(), _accepted(po, ack), state.shipped()
    for line in advice.lines:
        ordered = lines.get(line.line)
        if ordered is None or ordered.sku != line.sku:
            raise TransitionError(f"despatch line {line.line} ({line.sku}) is not on the order")
        shipped[line.line] = shipped.get(line.line, 0) + line.quantity_shipped
        if shipped[line.line] > accepted.get(line.line, 0):
            raise TransitionError(
                f"despatch above ordered quantity: line {line.line} would have "
                f"{shipped[line.line]} shipped, {accepted.get(line.line, 0)} accepted"
            )
    return replace(state, despatches={**state.despatches, advice.despatch_number: (advice, digest)})


def _receipt(
    state: ChainState, receipt: GoodsReceipt, digest: str, rules: RuleSet
) -> tuple[ChainState, list[Finding]]:
    entry = state.despatches.get(receipt.despatch_number)
    if entry is None or entry[1] != receipt.despatch_hash:
        raise TransitionError(f"receipt for an unknown despatch {receipt.despatch_number!r}")
    if receipt.despatch_number in state.receipts:
        raise TransitionError(f"despatch {receipt.despatch_number} has been received already")
    if any(r.receipt_number == receipt.receipt_number for r, _ in state.receipts.values()):
        raise TransitionError(f"receipt {receipt.receipt_number} exists already")
    advice = entry[0]
    sent = {(x.line, x.sku) for x in advice.lines}
    for line in receipt.lines:
        if (line.line, line.sku) not in sent:
            raise TransitionError(f"receipt line {line.line} ({line.sku}) was not despatched")
    try:
        findings = compare_receipt(
            document_json(advice),
            document_json(receipt),
            rules,
            partner=PartnerProfile(node_id=advice.supplier),
        )
    except GovernanceError as exc:
        raise TransitionError(f"receipt cannot be compared with its despatch: {exc}") from None
    new = replace(state, receipts={**state.receipts, receipt.despatch_number: (receipt, digest)})
    return new, list(findings)


def apply(
    state: ChainState | None, document: Document, digest: str, *, rules: RuleSet
) -> tuple[ChainState, tuple[Finding, ...]]:
    """The chain after ``document`` (with hash ``digest``), and the findings it raises."""
    if state is not None and (state.buyer, state.supplier) != (document.buyer, document.supplier):
        raise TransitionError("document's buyer and supplier differ from its purchase order's")
    if isinstance(document, PurchaseOrder):
        new = _po(state, document, digest)
        return new, tuple(_over_shipment(new, rules) if state is not None else ())
    if state is None:
        raise TransitionError(
            f"{document.type.value} for unknown purchase order {document.po_number}"
        )
    if isinstance(document, OrderAck):
        return _ack(state, document, digest), ()
    if isinstance(document, DespatchAdvice):
        new = _despatch(state, document, digest)
        return new, tuple(_over_shipment(new, rules))
    new, findings = _receipt(state, document, digest, rules)
    return new, tuple(findings)
