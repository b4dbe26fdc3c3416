"""Admin sign-in lockout: wrong passwords in a row, and until when signing in is refused.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 03:05:00
"""

import sqlalchemy as sa
from alembic import op

import skill.db

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("admins") as batch:
        batch.add_column(sa.Column("failed_logins", sa.Integer(), nullable=False,
                                   server_default="0"))
        batch.add_column(sa.Column("locked_until", skill.db.UTCDateTime(timezone=True),
                                   nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("admins") as batch:
        batch.drop_column("locked_until")
        batch.drop_column("failed_logins")
