"""RFC 9457 problem details: the one place where errors become HTTP responses.

Every error a client can cause — a domain error raised by ``ledger``, ``zk``,
``semantic_mapping`` or ``governance``, an authentication failure, a request that
fails validation, an unknown route — becomes an ``application/problem+json``
response with a 4xx status and a short reason. Anything unexpected becomes a bare
500 problem: the detail is logged on the server, never sent (no tracebacks, no
secrets, no echo of the request's input).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from node._unicode import printable
from node.auth.errors import AuthError, PermissionDeniedError
from node.peers.registry import PeerConflictError, PeerError, PeerNotFoundError

__all__ = [
    "PROBLEM_MEDIA_TYPE",
    "Problem",
    "ProblemError",
    "install_problem_handlers",
    "install_problem_openapi",
    "problem_response",
    "problem_responses",
]

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "https://scnode.dev/problems/"
_log = logging.getLogger("scnode.api")


class ValidationIssue(BaseModel):
    model_config = ConfigDict(frozen=True)
    loc: list[str | int] = Field(description="Where in the request the problem is")
    msg: str
    type: str


class Problem(BaseModel):
    """An RFC 9457 problem details object."""

    model_config = ConfigDict(frozen=True)
    type: str = Field(description="URI identifying the problem type")
    title: str = Field(description="Short summary of the problem type")
    status: int = Field(description="HTTP status code")
    detail: str | None = Field(default=None, description="What went wrong in this case")
    instance: str | None = Field(default=None, description="The request path")
    errors: list[ValidationIssue] | None = Field(
        default=None, description="Validation issues (422 only)"
    )


class ProblemError(Exception):
    """An error raised by the service itself with its HTTP status and problem type."""

    def __init__(
        self,
        status: int,
        slug: str,
        detail: str,
        *,
        title: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.slug = slug
        self.detail = detail
        self.title = title or slug.replace("-", " ").capitalize()
        self.headers = headers or {}


@dataclass(frozen=True)
class _Mapping:
    module: str
    name: str
    status: int
    slug: str
    title: str


# Domain errors by name, most specific first. Packages that do not define a name
# (yet) are skipped, so the table can list every package's hierarchy.
_DOMAIN_ERRORS: tuple[_Mapping, ...] = (
    _Mapping("ledger.errors", "FormatError", 400, "ledger-format", "Malformed ledger data"),
    _Mapping("ledger.errors", "SignatureError", 422, "signature", "Signature does not verify"),
    _Mapping("ledger.errors", "InclusionProofError", 422, "inclusion-proof", "Bad inclusion proof"),
    _Mapping(
        "ledger.errors", "ConsistencyProofError", 422, "consistency-proof", "Bad consistency proof"
    ),
    _Mapping("ledger.errors", "VerificationError", 422, "verification", "Does not verify"),
    _Mapping("ledger.errors", "StorageError", 409, "ledger-storage", "Ledger storage conflict"),
    _Mapping("ledger.errors", "LedgerError", 400, "ledger", "Ledger request refused"),
    _Mapping("zk", "EncodingError", 400, "zk-encoding", "Malformed proof or commitment"),
    _Mapping("zk", "VerificationError", 422, "zk-verification", "Proof does not verify"),
    _Mapping("zk", "StatementError", 422, "zk-statement", "Statement cannot be proven"),
    _Mapping("zk", "ProofError", 422, "zk", "Zero-knowledge request refused"),
    _Mapping("semantic_mapping", "FieldInputError", 400, "mapping-input", "Unusable field input"),
    _Mapping("semantic_mapping", "TransformError", 422, "mapping-transform", "Record not mappable"),
    _Mapping("semantic_mapping", "ProfileError", 422, "mapping-profile", "Bad mapping profile"),
    _Mapping("semantic_mapping", "MappingError", 422, "mapping", "Field mapping refused"),
    _Mapping("governance", "RuleSetError", 400, "governance-rules", "Malformed rule set"),
    _Mapping("governance", "TimestampError", 400, "governance-timestamp", "Bad timestamp"),
    _Mapping(
        "governance", "ExceptionTransitionError", 409, "governance-transition", "Transition refused"
    ),
    _Mapping("governance", "GovernanceError", 422, "governance", "Governance rule violated"),
    _Mapping("node.documents", "OutOfOrderError", 409, "document-out-of-order", "Retry later"),
    _Mapping("node.documents", "DocumentNotFoundError", 404, "document-not-found", "Not found"),
    _Mapping("node.documents", "DocumentSignatureError", 422, "document-signature", "Unsigned"),
    _Mapping("node.documents", "TransitionError", 409, "document-transition", "Not allowed now"),
    _Mapping("node.documents", "DocumentFormatError", 400, "document-format", "Bad document"),
    _Mapping("node.documents", "DocumentError", 422, "document", "Document refused"),
    _Mapping("node.epcis", "EpcisError", 422, "epcis", "EPCIS document refused"),
)


def _resolve(mapping: _Mapping) -> type[Exception] | None:
    try:
        module = importlib.import_module(mapping.module)
    except Exception:  # noqa: BLE001  a package that fails to import maps nothing; the app still starts
        _log.warning("error mapping skipped: %s does not import", mapping.module)
        return None
    found = getattr(module, mapping.name, None)
    if isinstance(found, type) and issubclass(found, Exception):
        return found
    return None


def problem_response(
    request: Request,
    status: int,
    slug: str,
    title: str,
    detail: str | None,
    *,
    headers: dict[str, str] | None = None,
    errors: Sequence[ValidationIssue] | None = None,
) -> JSONResponse:
    problem = Problem(
        type=PROBLEM_BASE + slug,
        title=title,
        status=status,
        detail=detail,
        instance=request.url.path,
        errors=list(errors) if errors is not None else None,
    )
    return JSONResponse(
        _printable(problem.model_dump(exclude_none=True)),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def _printable(value: Any) -> Any:
    """``value`` with every string UTF-8 safe: a detail or a validation issue may echo
    the client's text, and a lone surrogate in it must not break the response."""
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, dict):
        return {_printable(k): _printable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_printable(v) for v in value]
    return value


def _domain_detail(exc: BaseException) -> str:
    # Domain errors carry messages written for the caller; cap their length.
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 500 else text[:497] + "..."


def install_problem_handlers(app: FastAPI) -> None:
    """Register every error-to-problem mapping on ``app``."""

    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        if not isinstance(exc, ProblemError):  # pragma: no cover - registered for ProblemError
            raise exc
        return problem_response(
            request, exc.status, exc.slug, exc.title, exc.detail, headers=exc.headers
        )

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        if not isinstance(exc, StarletteHTTPException):  # pragma: no cover
            raise exc
        title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "HTTP error")
        detail = exc.detail if isinstance(exc.detail, str) else None
        slug = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http")
        return problem_response(
            request, exc.status_code, slug, title, detail, headers=dict(exc.headers or {})
        )

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        if not isinstance(exc, RequestValidationError):  # pragma: no cover
            raise exc
        issues = [_issue(err) for err in exc.errors()]
        return problem_response(
            request,
            422,
            "validation",
            "Request validation failed",
            "the request does not match the operation's schema",
            errors=issues,
        )

    async def on_auth(request: Request, exc: Exception) -> JSONResponse:
        if not isinstance(exc, AuthError):  # pragma: no cover
            raise exc
        if isinstance(exc, PermissionDeniedError):
            return problem_response(request, 403, "forbidden", "Forbidden", str(exc))
        return problem_response(
            request,
            401,
            "unauthorized",
            "Unauthorized",
            str(exc),
            headers={"WWW-Authenticate": exc.challenge},
        )

    async def on_peer(request: Request, exc: Exception) -> JSONResponse:
        if isinstance(exc, PeerNotFoundError):
            return problem_response(request, 404, "peer-not-found", "Peer not found", None)
        if isinstance(exc, PeerConflictError):
            return problem_response(request, 409, "peer-exists", "Peer exists", str(exc))
        return problem_response(request, 400, "peer-invalid", "Invalid peer", str(exc))

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        _log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return problem_response(request, 500, "internal", "Internal server error", None)

    app.add_exception_handler(ProblemError, on_problem)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(AuthError, on_auth)
    for peer_error in (PeerError, PeerNotFoundError, PeerConflictError):
        app.add_exception_handler(peer_error, on_peer)
    for mapping in _DOMAIN_ERRORS:
        error_type = _resolve(mapping)
        if error_type is not None:
            app.add_exception_handler(error_type, _domain_handler(mapping))
    app.add_exception_handler(Exception, on_unexpected)


def _domain_handler(mapping: _Mapping) -> Any:
    async def handler(request: Request, exc: Exception) -> JSONResponse:
        return problem_response(
            request, mapping.status, mapping.slug, mapping.title, _domain_detail(exc)
        )

    return handler


def _issue(err: Any) -> ValidationIssue:
    loc = [p if isinstance(p, int) else str(p) for p in err.get("loc", ())]
    return ValidationIssue(loc=loc, msg=str(err.get("msg", "")), type=str(err.get("type", "")))


_DESCRIPTIONS = {
    400: "Malformed request",
    401: "Missing or invalid credentials or request signature",
    403: "Authenticated but not allowed",
    404: "Not found",
    409: "Conflict with the current state",
    422: "Request validation failed or the data does not verify",
}


_PROBLEM_REF = "#/components/schemas/Problem"


def install_problem_openapi(app: FastAPI) -> None:
    """Document problem responses as ``application/problem+json``.

    FastAPI documents a response ``model`` under the route's media type; problem
    responses are sent as ``application/problem+json``, so the Problem schema is
    moved there. Other media types a route declares for an error status stay.
    """

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        from fastapi.openapi.utils import get_openapi

        spec = get_openapi(
            title=app.title,
            version=app.version,
            summary=app.summary,
            description=app.description,
            routes=app.routes,
        )
        for item in spec.get("paths", {}).values():
            for operation in item.values():
                if "requestBody" in operation:
                    # A body that cannot be parsed at all (not UTF-8, say) is refused
                    # before validation, as a 400 problem.
                    operation.setdefault("responses", {}).setdefault(
                        "400",
                        {
                            "description": "The request body could not be parsed",
                            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": _PROBLEM_REF}}},
                        },
                    )
                for code, response in operation.get("responses", {}).items():
                    if code[:1] not in ("4", "5"):
                        continue
                    content = response.get("content", {})
                    for media_type in list(content):
                        ref = content[media_type].get("schema", {}).get("$ref", "")
                        if ref.endswith(("/Problem", "/HTTPValidationError")):
                            # Validation errors are sent as problems too (see on_validation).
                            del content[media_type]
                            content[PROBLEM_MEDIA_TYPE] = {"schema": {"$ref": _PROBLEM_REF}}
        schemas = spec.get("components", {}).get("schemas", {})
        for unused in ("HTTPValidationError", "ValidationError"):
            schemas.pop(unused, None)
        app.openapi_schema = spec
        return spec

    app.openapi = openapi  # type: ignore[method-assign]


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the given error statuses, each a :class:`Problem`."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        out[status] = {
            "model": Problem,
            "description": _DESCRIPTIONS.get(status, "Error"),
        }
    return out
