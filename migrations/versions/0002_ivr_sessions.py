"""IVR sessions: one row per pass of a call through an IVR flow (path, collected values, routing).

Revision ID: 0002_ivr_sessions
Revises: 0001_initial
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0002_ivr_sessions"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)
EMPTY_ARRAY = sa.text("'[]'::jsonb")
EMPTY_OBJECT = sa.text("'{}'::jsonb")


def upgrade() -> None:
    op.create_table(
        "ivr_sessions",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("call_id", UUID(as_uuid=True), nullable=False),
        sa.Column("switch_id", sa.Text, nullable=False),
        sa.Column("uniqueid", sa.Text, nullable=False),
        sa.Column("linkedid", sa.Text, nullable=False),
        sa.Column("flow", sa.Text, nullable=False),
        sa.Column("flow_version", sa.Text, nullable=False),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("ended_at", TZ),
        sa.Column("language", sa.Text, nullable=False),
        sa.Column("path", JSONB, nullable=False, server_default=EMPTY_ARRAY),
        sa.Column("collected", JSONB, nullable=False, server_default=EMPTY_OBJECT),
        sa.Column("routing", JSONB, nullable=False, server_default=EMPTY_OBJECT),
        sa.Column("customer_id", UUID(as_uuid=True)),
        sa.Column("outcome", sa.Text),
        sa.Column("reason", sa.Text),
        sa.Column("callback_number", sa.Text),
        sa.Column("message_path", sa.Text),
    )
    op.create_index("ix_ivr_sessions_call", "ivr_sessions", ["call_id", "started_at"])
    op.create_index(
        "ix_ivr_sessions_callbacks", "ivr_sessions", ["started_at"],
        postgresql_where=sa.text("outcome = 'callback'"),
    )


def downgrade() -> None:
    op.drop_table("ivr_sessions")
