"""Asking the network's other banks about a collateral key (signed peer requests).

A bank's node knows the other banks of the network as peers in the ``bank`` role
(``scnode peer add URL --vkey V --role bank``). For each, it sends ``GET
/v1/finance/collateral?key=...`` signed with its node key (RFC 9421, see
:mod:`node.auth`) and verifies the answer against that peer's pinned key.
"""

from __future__ import annotations

from collections.abc import Sequence

import httpx
from sqlalchemy import Engine

from ledger import NoteSigner
from node.auth.roles import Role
from node.finance._collateral import CollateralAnswer, verify_collateral_answer
from node.finance._errors import FinanceError
from node.peers import PeerRegistry
from node.peers.registry import Peer
from node.witness import client_for

__all__ = ["ask_banks", "bank_peers"]

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
            raise FinanceError(
                f"cannot ask bank {name} at {peer.url}: {exc.__class__.__name__}"
            ) from None
        if got.status_code != 200:
            raise FinanceError(f"bank {name} at {peer.url} answered HTTP {got.status_code}")
        try:
            answers.append(verify_collateral_answer(got.content, vkey=peer.vkey, keys=keys))
        except FinanceError as exc:
            raise type(exc)(f"the answer of bank {name}: {exc}") from None
    return answers
