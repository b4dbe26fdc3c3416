"""Alembic migrations for the whole schema (``voicecart db upgrade``)."""
