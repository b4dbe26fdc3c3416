"""Alembic's entry point: runs on the connection ``skill.db.upgrade`` hands it."""

from alembic import context
from sqlalchemy import text

from skill import models  # noqa: F401  (registers every table)
from skill.db import Base

config = context.config
connection = config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata,
                  render_as_batch=connection.dialect.name == "sqlite", compare_type=True)
with context.begin_transaction():
    if connection.dialect.name == "postgresql":
        # Several workers may start at once: one migrates, the others wait and find it done.
        connection.execute(text("SELECT pg_advisory_xact_lock(7242683)"))
    context.run_migrations()
