"""Alembic environment: runs on the connection that app.db.migrate hands over."""

from __future__ import annotations

from alembic import context

from app.db import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through app.db.migrate(url)")
context.configure(connection=connection, target_metadata=metadata)
with context.begin_transaction():
    context.run_migrations()
