"""The catalog's version and change log (in-memory indexes follow catalog writes across
workers), and the fingerprints of signed Alexa requests already answered (replay protection).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 10:00:00
"""

import sqlalchemy as sa
from alembic import op

from skill.db import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    state = op.create_table(
        "catalog_state",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.bulk_insert(state, [{"id": 1, "version": 0}])
    op.create_table(
        "catalog_changes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(64), nullable=True),
    )
    op.create_index("ix_catalog_changes_version", "catalog_changes", ["version"])
    op.create_table(
        "seen_requests",
        sa.Column("fingerprint", sa.String(64), primary_key=True),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_seen_requests_expires_at", "seen_requests", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_seen_requests_expires_at", "seen_requests")
    op.drop_table("seen_requests")
    op.drop_index("ix_catalog_changes_version", "catalog_changes")
    op.drop_table("catalog_changes")
    op.drop_table("catalog_state")
