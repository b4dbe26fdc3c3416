"""Console sessions that can be ended: each admin's session generation, kept in every session
cookie and compared on every request; signing out, a new password or a lockout moves it on,
so every earlier cookie of that admin (a copied one too) stops working.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("admins") as batch:
        batch.add_column(sa.Column("session_generation", sa.Integer(), nullable=False,
                                   server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("admins") as batch:
        batch.drop_column("session_generation")
