"""scnode's node: the service, storage wiring and the ``scnode`` command line."""

__all__: list[str] = []
