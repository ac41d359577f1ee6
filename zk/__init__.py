"""zk."""

__all__: list[str] = []
