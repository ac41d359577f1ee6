"""The ``scnode`` console script."""

from __future__ import annotations

from node.cli._app import bench, main

# Command modules attach themselves to ``main`` / ``bench`` on import.
from node.cli import ledger_cmd, mapping_cmd, peer_cmd, serve_cmd, token_cmd, verify_cmd, zk_cmd  # noqa: F401  isort: skip
from node.cli import publish_cmd  # noqa: F401  isort: skip
from node.cli import witness_cmd  # noqa: F401  isort: skip
from node.cli import governance_cmd  # noqa: F401  isort: skip
from node.cli import documents_cmd  # noqa: F401  isort: skip
from node.cli import planning_cmd, connector_cmd  # noqa: F401  isort: skip
from node.cli import demo_cmd, api_bench_cmd  # noqa: F401  isort: skip
from node.cli import load_bench_cmd  # noqa: F401  isort: skip
from node.cli import tenant_cmd, tenant_bench_cmd  # noqa: F401  isort: skip
from node.cli import documents_bench_cmd  # noqa: F401  isort: skip

__all__ = ["bench", "main"]
