"""Alembic environment: run only programmatically, on a connection handed in by Database.migrate."""

from __future__ import annotations

from alembic import context

from teams_bot.storage.schema import metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through teams_bot.storage.db.Database.migrate()")

context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table_schema=config.attributes.get("version_table_schema"),
)
with context.begin_transaction():
    context.run_migrations()
