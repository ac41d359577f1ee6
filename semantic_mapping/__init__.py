"""semantic_mapping."""

__all__: list[str] = []
