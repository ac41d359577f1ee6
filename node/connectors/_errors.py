"""The connectors' errors: one root; the ERP answered badly; a webhook is not genuine."""

from __future__ import annotations

__all__ = ["ConnectorError", "PayloadError", "UpstreamError", "WebhookSignatureError"]


class ConnectorError(Exception):
    """Root of every error raised by :mod:`node.connectors`."""


class PayloadError(ConnectorError):
    """An ERP response or webhook body is not what the connector expects."""


class UpstreamError(ConnectorError):
    """The ERP refused a call (HTTP status and the ERP's own message; never the key)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"ERP answered {status}: {message}")
        self.status = status
        self.message = message


class WebhookSignatureError(ConnectorError):
    """A webhook delivery's signature is missing or does not match its body."""
