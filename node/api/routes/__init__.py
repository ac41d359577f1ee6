"""One module per resource; each defines ``router``."""

__all__: list[str] = []
