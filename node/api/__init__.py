"""The HTTP API of a node: dependencies, problem details, routes and schemas."""

__all__: list[str] = []
