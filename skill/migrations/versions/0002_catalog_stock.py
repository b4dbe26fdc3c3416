"""Catalog stock: units on hand per item (empty: not tracked), never below zero.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 02:03:14.564047
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch: SQLite cannot add a CHECK constraint to an existing table, so Alembic copies it.
    with op.batch_alter_table("catalog_items") as batch:
        batch.add_column(sa.Column("stock", sa.Integer(), nullable=True))
        batch.create_check_constraint(
            "ck_catalog_items_stock_not_negative", "stock IS NULL OR stock >= 0"
        )


def downgrade() -> None:
    with op.batch_alter_table("catalog_items") as batch:
        batch.drop_constraint("ck_catalog_items_stock_not_negative", type_="check")
        batch.drop_column("stock")
