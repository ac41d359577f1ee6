"""``scnode demo``: the three-tier network (fab, module maker, phone maker, bank) on loopback."""

from node.demo._nodes import DemoError, DemoNode
from node.demo._scenario import Demo, run_week, summary, write_tokens

__all__ = ["Demo", "DemoError", "DemoNode", "run_week", "summary", "write_tokens"]
