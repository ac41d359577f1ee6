"""Alembic migrations of the node database (run with ``node.db.upgrade(url)``)."""
