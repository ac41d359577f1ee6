"""API tokens (admin only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request

from node.api.deps import ConnectionDep, ServicesDep, forget_token, require_role
from node.api.problems import ProblemError, problem_responses
from node.api.schemas import TokenCreate, TokenIssued, TokenPublic
from node.api.transactions import write_transaction
from node.auth.principal import Principal
from node.auth.roles import Role
from node.auth.tokens import create_token, list_tokens, revoke_token

__all__ = ["router"]

router = APIRouter(prefix="/v1/tokens", tags=["tokens"])
Admin = Annotated[Principal, Depends(require_role(Role.ADMIN))]
TokenId = Annotated[str, Path(pattern=r"^[0-9a-f]{16}$", description="Token id")]


@router.post(
    "", status_code=201, response_model=TokenIssued, responses=problem_responses(401, 403, 422)
)
def create(body: TokenCreate, services: ServicesDep, _admin: Admin) -> TokenIssued:
    """Create a token; the secret is in this response only."""
    # Committed before the response is built: a token that is shown exists.
    with write_transaction(services.engine) as conn:
        issued = create_token(conn, role=body.role, name=body.name)
    return TokenIssued(**TokenPublic.of(issued.info).model_dump(), token=issued.token)


@router.get("", response_model=list[TokenPublic], responses=problem_responses(401, 403))
def list_(conn: ConnectionDep, _admin: Admin) -> list[TokenPublic]:
    """Every token (never the secrets)."""
    return [TokenPublic.of(info) for info in list_tokens(conn)]


@router.delete(
    "/{token_id}", response_model=TokenPublic, responses=problem_responses(401, 403, 404, 422)
)
def revoke(
    token_id: TokenId, request: Request, services: ServicesDep, _admin: Admin
) -> TokenPublic:
    """Revoke a token; it stops working at once."""
    try:
        with write_transaction(services.engine) as conn:
            revoked = TokenPublic.of(revoke_token(conn, token_id))
    except KeyError:
        raise ProblemError(404, "token-not-found", "no token with that id") from None
    forget_token(request, token_id)  # this process's cache of the token (node.api.deps)
    return revoked
