"""Who may call a node: API tokens with roles, and signed node-to-node requests."""

from node.auth.errors import (
    AuthenticationError,
    AuthError,
    PermissionDeniedError,
    ReplayError,
    SignatureVerificationError,
)
from node.auth.principal import Principal
from node.auth.roles import PEER_ROLES, Role
from node.auth.signatures import content_digest, parse_signature, sign_request, verify_signature
from node.auth.tokens import authenticate_token, create_token, list_tokens, revoke_token
from node.auth.vkey import PeerKey, VkeyError, parse_vkey

__all__ = [
    "PEER_ROLES",
    "AuthError",
    "AuthenticationError",
    "PeerKey",
    "PermissionDeniedError",
    "Principal",
    "ReplayError",
    "Role",
    "SignatureVerificationError",
    "VkeyError",
    "authenticate_token",
    "content_digest",
    "create_token",
    "list_tokens",
    "parse_signature",
    "parse_vkey",
    "revoke_token",
    "sign_request",
    "verify_signature",
]
