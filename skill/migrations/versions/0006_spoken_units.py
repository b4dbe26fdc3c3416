"""Spoken units: what one of a catalog item is called when counted ("pack"/"packs"), and the
unit each order line was ordered in (kept like its name and price).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 19:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TABLES = ("catalog_items", "order_lines")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("unit", sa.String(32), nullable=True))
            batch.add_column(sa.Column("unit_plural", sa.String(32), nullable=True))


def downgrade() -> None:
    for table in reversed(TABLES):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("unit_plural")
            batch.drop_column("unit")
