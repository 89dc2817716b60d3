"""Cases (tickets) with their notes, disposition codes, and the disposition each agent gave a call. Ships the
default disposition codes.

Revision ID: 0004_cases
Revises: 0003_acd
Create Date: 2026-12-15
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0004_cases"
down_revision = "0003_acd"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)
NEW_UUID = sa.text("gen_random_uuid()")

# (code, label, resolves): what an agent picks at the end of a call. Ops add their own over REST.
DEFAULT_DISPOSITIONS = (
    ("resolved", "Resolved", True),
    ("follow_up", "Follow-up needed", False),
    ("escalated", "Escalated", False),
    ("callback_requested", "Callback requested", False),
    ("wrong_number", "Wrong number", False),
    ("no_answer_voicemail", "No answer / voicemail", False),
)


def upgrade() -> None:
    dispositions = op.create_table(
        "dispositions",
        sa.Column("code", sa.Text, primary_key=True),
        sa.Column("label", sa.Text, nullable=False),
        sa.Column("resolves", sa.Boolean, nullable=False, server_default="false"),
        sa.Column("active", sa.Boolean, nullable=False, server_default="true"),
        sa.Column("created_at", TZ, nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "call_dispositions",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("call_id", UUID(as_uuid=True), nullable=False),
        sa.Column("agent_id", UUID(as_uuid=True), sa.ForeignKey("agents.id", ondelete="SET NULL")),
        sa.Column("code", sa.Text, sa.ForeignKey("dispositions.code"), nullable=False),
        sa.Column("notes", sa.Text),
        sa.Column("at", TZ, nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint("call_id", "agent_id", name="uq_call_dispositions_call_agent"),
    )
    op.create_index("ix_call_dispositions_agent", "call_dispositions", ["agent_id"])
    op.create_table(
        "cases",
        sa.Column("id", UUID(as_uuid=True), primary_key=True, server_default=NEW_UUID),
        sa.Column("customer_id", UUID(as_uuid=True), sa.ForeignKey("customers.id", ondelete="SET NULL")),
        sa.Column("call_id", UUID(as_uuid=True)),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="open"),
        sa.Column("priority", sa.SmallInteger, nullable=False, server_default="0"),
        sa.Column("sla_due_at", TZ),
        sa.Column("created_at", TZ, nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", TZ, nullable=False, server_default=sa.func.now()),
        sa.Column("resolved_at", TZ),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.CheckConstraint("status IN ('open', 'pending', 'resolved')", name="ck_cases_status"),
        sa.CheckConstraint("priority BETWEEN 0 AND 9", name="ck_cases_priority"),
        sa.CheckConstraint("(status = 'resolved') = (resolved_at IS NOT NULL)", name="ck_cases_resolved_at"),
    )
    op.create_index("ix_cases_customer_status", "cases", ["customer_id", "status"])
    op.create_index("ix_cases_created_at_id", "cases", ["created_at", "id"])
    op.create_index("ix_cases_call", "cases", ["call_id"])
    op.create_table(
        "case_notes",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("case_id", UUID(as_uuid=True), sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False),
        sa.Column("author", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("at", TZ, nullable=False, server_default=sa.func.now()),
    )
    op.create_index("ix_case_notes_case", "case_notes", ["case_id", "id"])
    op.bulk_insert(
        dispositions,
        [{"code": code, "label": label, "resolves": resolves} for code, label, resolves in DEFAULT_DISPOSITIONS],
    )


def downgrade() -> None:
    for table in ("case_notes", "cases", "call_dispositions", "dispositions"):
        op.drop_table(table)
