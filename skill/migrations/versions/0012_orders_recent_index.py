"""An index on an account's orders newest first (issue 16's load benchmark: the last quantity
of an item read every order line of that item, so each turn grew slower as orders grew).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-24 01:50:00
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_orders_account_recent", "orders", ["account_id", "created_at", "id"],
                    unique=False)


def downgrade() -> None:
    op.drop_index("ix_orders_account_recent", table_name="orders")
