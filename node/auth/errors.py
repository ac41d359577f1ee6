"""Errors of authentication and authorisation; mapped to 401/403 problems by node.api."""

from __future__ import annotations

__all__ = [
    "AuthError",
    "AuthenticationError",
    "PermissionDeniedError",
    "ReplayError",
    "SignatureVerificationError",
]


class AuthError(Exception):
    """Base class: the caller is not who it claims or may not do what it asks."""

    challenge = "Bearer"


class AuthenticationError(AuthError):
    """No valid credentials (401): unknown, revoked or malformed token."""


class SignatureVerificationError(AuthenticationError):
    """A peer request signature is missing, malformed, expired or does not verify (401)."""

    challenge = "Signature"


class ReplayError(SignatureVerificationError):
    """A signed request's nonce was seen before (401)."""


class PermissionDeniedError(AuthError):
    """Authenticated, but the role or status does not allow the operation (403)."""
