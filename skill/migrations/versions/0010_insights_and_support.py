"""What shoppers said that the skill did not serve (dialog events), callback requests
(support requests), and which state of each cart its shopper was last reminded of.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 21:30:00
"""

import sqlalchemy as sa
from alembic import op

import skill.db

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dialog_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", skill.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=512), nullable=False),
        sa.Column("session_id", sa.String(length=255), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("intent", sa.String(length=100), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("slots", sa.JSON(), nullable=False),
        sa.Column("candidates", sa.JSON(), nullable=False),
        sa.Column("question", sa.String(length=32), nullable=True),
        sa.Column("guess", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("at", "kind", "user_id"):
        op.create_index(op.f(f"ix_dialog_events_{column}"), "dialog_events", [column])
    op.create_table(
        "support_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", skill.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.String(length=512), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("handled_at", skill.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("handled_by", sa.String(length=100), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("created_at", "user_id", "status"):
        op.create_index(op.f(f"ix_support_requests_{column}"), "support_requests", [column])
    op.create_table(
        "cart_reminders",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("cart_updated_at", skill.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("account_id"),
    )


def downgrade() -> None:
    op.drop_table("cart_reminders")
    for column in ("created_at", "user_id", "status"):
        op.drop_index(op.f(f"ix_support_requests_{column}"), table_name="support_requests")
    op.drop_table("support_requests")
    for column in ("at", "kind", "user_id"):
        op.drop_index(op.f(f"ix_dialog_events_{column}"), table_name="dialog_events")
    op.drop_table("dialog_events")
