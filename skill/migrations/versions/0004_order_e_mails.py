"""Order confirmation e-mails: the accounts' addresses and the outbox.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 02:47:40.781652
"""

import sqlalchemy as sa
from alembic import op

import skill.db

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("to_address", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("created_at", skill.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", skill.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("claimed_until", skill.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_outbox_messages_order_id"), "outbox_messages", ["order_id"], unique=False
    )
    op.create_index(
        op.f("ix_outbox_messages_sent_at"), "outbox_messages", ["sent_at"], unique=False
    )
    op.add_column("accounts", sa.Column("email", sa.String(length=320), nullable=True))


def downgrade() -> None:
    op.drop_column("accounts", "email")
    op.drop_index(op.f("ix_outbox_messages_sent_at"), table_name="outbox_messages")
    op.drop_index(op.f("ix_outbox_messages_order_id"), table_name="outbox_messages")
    op.drop_table("outbox_messages")
