"""Asking the network's other banks about a collateral key (signed peer requests).

A bank's node knows the other banks of the network as peers in the ``bank`` role
(``scnode peer add URL --vkey V --role bank``). For each, it sends ``GET
/v1/finance/collateral?key=...`` signed with its node key (RFC 9421, see
:mod:`node.auth`) and verifies the answer against that peer's pinned key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import httpx
from sqlalchemy import Engine

from ledger import NoteSigner
from node.auth.roles import Role
from node.finance._bank import BankRegistry, Review, review_request
from node.finance._collateral import (
    Collateral,
    CollateralAnswer,
    collateral_key,
    verify_collateral_answer,
)
from node.finance._errors import FinanceError, RegistryUnavailableError
from node.finance._pledge import SignedPledge
from node.peers import PeerRegistry
from node.peers.registry import Peer
from node.witness import client_for

__all__ = ["Vetted", "ask_banks", "bank_peers", "vet_request"]

COLLATERAL_PATH = "/v1/finance/collateral"


def bank_peers(engine: Engine) -> list[Peer]:
    """The active peers in the bank role: the banks whose registries this node asks."""
    with engine.connect() as conn:
        return [p for p in PeerRegistry(conn).list() if p.role is Role.BANK]


def ask_banks(
    peers: Sequence[Peer],
    keys: Sequence[str],
    *,
    signer: NoteSigner,
    transport: httpx.BaseTransport | None = None,
) -> list[CollateralAnswer]:
    """Each bank's verified answer on ``keys``; FinanceError naming a bank that cannot be
    asked or whose answer does not verify (a bank that cannot be asked is not "no pledge")."""
    answers = []
    params = {"key": sorted(set(keys))}
    for peer in peers:
        name = peer.key.name
        extra = {} if transport is None else {"transport": transport}
        try:
            with client_for(peer, signer, **extra) as client:
                got = client.get(COLLATERAL_PATH, params=params)
        except httpx.HTTPError as exc:
            raise RegistryUnavailableError(
                f"cannot ask bank {name} at {peer.url}: {exc.__class__.__name__}"
            ) from None
        if got.status_code != 200:
            raise RegistryUnavailableError(
                f"bank {name} at {peer.url} answered HTTP {got.status_code}"
            )
        try:
            answers.append(verify_collateral_answer(got.content, vkey=peer.vkey, keys=keys))
        except FinanceError as exc:
            raise type(exc)(f"the answer of bank {name}: {exc}") from None
    return answers


@dataclass(frozen=True)
class Vetted:
    """A request a bank has vetted: its review, how many banks were asked, its own entry."""

    review: Review
    asked: int
    seq: int


def vet_request(
    registry: BankRegistry,
    engine: Engine,
    *,
    signer: NoteSigner,
    vkeys: Sequence[str],
    network_key: bytes,
    signed: SignedPledge,
    collateral: Collateral,
    transport: httpx.BaseTransport | None = None,
) -> Vetted:
    """What a bank does before it co-signs: ask every bank peer and its own registry
    about the collateral, refuse a request that hides a pledge they hold
    (DoublePledgeError), and register the collateral in its own log."""
    key = collateral_key(network_key, signed.pledge.borrower_vkey, collateral)
    peers = bank_peers(engine)
    answers = ask_banks(peers, [key], signer=signer, transport=transport)
    mine = registry.answer([key], vkeys)
    answers.append(verify_collateral_answer(mine, vkey=signer.vkey, keys=[key]))
    review = review_request(
        signed,
        bank_vkey=signer.vkey,
        network_key=network_key,
        collateral=collateral,
        answers=answers,
    )
    return Vetted(review, len(peers), registry.register(review.key, signed.pledge.id))
