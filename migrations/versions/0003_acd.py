"""The ACD: skills, agents (with skills and API-key links), queues, not-ready reasons, agent states and their
log, routing decisions, and the calls the ACD holds.

Revision ID: 0003_acd
Revises: 0002_ivr_sessions
Create Date: 2026-12-01
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0003_acd"
down_revision = "0002_ivr_sessions"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)
NEW_UUID = sa.text("gen_random_uuid()")
EMPTY_ARRAY = sa.text("'[]'::jsonb")
EMPTY_OBJECT = sa.text("'{}'::jsonb")
AGENT_STATES = "('logged_out', 'ready', 'not_ready', 'reserved', 'on_call', 'wrap_up')"


def _created_updated() -> list[sa.Column[Any]]:
    return [
        sa.Column("created_at", TZ, nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", TZ, nullable=False, server_default=sa.func.now()),
    ]


def upgrade() -> None:
    op.create_table(
        "skills",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("description", sa.Text),
        sa.Column("created_at", TZ, nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "agents",
        sa.Column("id", UUID(as_uuid=True), primary_key=True, server_default=NEW_UUID),
        sa.Column("extension", sa.Text, nullable=False, unique=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("sip_ha1", sa.Text, nullable=False),
        sa.Column("max_concurrent", sa.SmallInteger, nullable=False, server_default="1"),
        sa.Column("active", sa.Boolean, nullable=False, server_default="true"),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        *_created_updated(),
        sa.CheckConstraint("max_concurrent BETWEEN 1 AND 20", name="ck_agents_max_concurrent"),
    )
    op.create_index("ix_agents_created_at_id", "agents", ["created_at", "id"])
    op.create_table(
        "agent_skills",
        sa.Column(
            "agent_id", UUID(as_uuid=True), sa.ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("skill", sa.Text, sa.ForeignKey("skills.name"), primary_key=True),
        sa.Column("level", sa.SmallInteger, nullable=False),
        sa.CheckConstraint("level BETWEEN 1 AND 10", name="ck_agent_skills_level"),
    )
    op.create_index("ix_agent_skills_skill", "agent_skills", ["skill", "level"])
    op.create_table(
        "agent_api_keys",
        sa.Column(
            "api_key_id", UUID(as_uuid=True), sa.ForeignKey("api_keys.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("agent_id", UUID(as_uuid=True), sa.ForeignKey("agents.id", ondelete="CASCADE"), nullable=False),
    )
    op.create_index("ix_agent_api_keys_agent", "agent_api_keys", ["agent_id"])
    op.create_table(
        "queues",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("description", sa.Text),
        sa.Column("priority", sa.SmallInteger, nullable=False, server_default="0"),
        sa.Column("required_skills", JSONB, nullable=False, server_default=EMPTY_OBJECT),
        sa.Column("sl_target_pct", sa.SmallInteger, nullable=False, server_default="80"),
        sa.Column("sl_threshold_s", sa.Integer, nullable=False, server_default="20"),
        sa.Column("max_wait_s", sa.Integer),
        sa.Column("wrapup_s", sa.Integer, nullable=False, server_default="0"),
        sa.Column("strategy", sa.Text, nullable=False, server_default="most_skilled"),
        sa.Column("overflow_queue", sa.Text),
        sa.Column("announce_every_s", sa.Integer),
        sa.Column("announce_position", sa.Boolean, nullable=False, server_default="true"),
        sa.Column("announce_wait", sa.Boolean, nullable=False, server_default="true"),
        sa.Column("escalation", JSONB, nullable=False, server_default=EMPTY_ARRAY),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        *_created_updated(),
        sa.CheckConstraint(
            "strategy IN ('longest_idle', 'least_occupied', 'most_skilled')", name="ck_queues_strategy"
        ),
        sa.CheckConstraint("sl_target_pct BETWEEN 1 AND 100", name="ck_queues_sl_target_pct"),
    )
    op.create_table(
        "not_ready_reasons",
        sa.Column("code", sa.Text, primary_key=True),
        sa.Column("label", sa.Text, nullable=False),
        sa.Column("productive", sa.Boolean, nullable=False, server_default="false"),
        sa.Column("created_at", TZ, nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "agent_states",
        sa.Column(
            "agent_id", UUID(as_uuid=True), sa.ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("since", TZ, nullable=False),
        sa.Column("call_id", UUID(as_uuid=True)),
        sa.CheckConstraint(f"state IN {AGENT_STATES}", name="ck_agent_states_state"),
    )
    op.create_table(
        "agent_state_log",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("agent_id", UUID(as_uuid=True), nullable=False),
        sa.Column("from_state", sa.Text, nullable=False),
        sa.Column("to_state", sa.Text, nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("at", TZ, nullable=False),
        sa.Column("call_id", UUID(as_uuid=True)),
        sa.Column("source", sa.Text, nullable=False),
        sa.CheckConstraint(f"from_state IN {AGENT_STATES}", name="ck_agent_state_log_from_state"),
        sa.CheckConstraint(f"to_state IN {AGENT_STATES}", name="ck_agent_state_log_to_state"),
        sa.CheckConstraint("source IN ('agent', 'supervisor', 'system')", name="ck_agent_state_log_source"),
    )
    op.create_index("ix_agent_state_log_agent_at", "agent_state_log", ["agent_id", "at"])
    op.create_table(
        "routing_decisions",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("call_id", UUID(as_uuid=True), nullable=False),
        sa.Column("switch_id", sa.Text),
        sa.Column("decided_at", TZ, nullable=False),
        sa.Column("trigger", sa.Text, nullable=False),
        sa.Column("queue", sa.Text, nullable=False),
        sa.Column("rank", sa.Integer),
        sa.Column("waited_s", sa.Float),
        sa.Column("strategy", sa.Text),
        sa.Column("step", JSONB),
        sa.Column("requirements", JSONB, nullable=False, server_default=EMPTY_OBJECT),
        sa.Column("chosen_agent_id", UUID(as_uuid=True)),
        sa.Column("eligible", sa.Integer, nullable=False, server_default="0"),
        sa.Column("candidates", JSONB, nullable=False, server_default=EMPTY_ARRAY),
        sa.Column("excluded", JSONB, nullable=False, server_default=EMPTY_ARRAY),
        sa.Column("excluded_counts", JSONB, nullable=False, server_default=EMPTY_OBJECT),
        sa.Column("outcome", sa.Text, nullable=False),
    )
    op.create_index("ix_routing_decisions_call", "routing_decisions", ["call_id", "id"])
    op.create_table(
        "acd_waiting",
        sa.Column("call_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("switch_id", sa.Text, nullable=False),
        sa.Column("uniqueid", sa.Text),
        sa.Column("channel", sa.Text),
        sa.Column("queue", sa.Text, nullable=False),
        sa.Column("priority", sa.SmallInteger, nullable=False, server_default="0"),
        sa.Column("skills", JSONB, nullable=False, server_default=EMPTY_OBJECT),
        sa.Column("language", sa.Text),
        sa.Column("enqueued_at", TZ, nullable=False),
        sa.Column("queue_entered_at", TZ),
        sa.Column("step", sa.SmallInteger, nullable=False, server_default="0"),
        sa.Column("callback", sa.Boolean, nullable=False, server_default="false"),
        sa.Column("callback_number", sa.Text),
        sa.Column("state", sa.Text, nullable=False, server_default="waiting"),
        sa.Column("agent_id", UUID(as_uuid=True)),
        sa.Column("updated_at", TZ, nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint(
            "state IN ('waiting', 'offered', 'connected', 'abandoned', 'callback_pending', 'overflowed', "
            "'voicemail')",
            name="ck_acd_waiting_state",
        ),
    )
    op.create_index("ix_acd_waiting_queue", "acd_waiting", ["queue", "enqueued_at"])


def downgrade() -> None:
    for table in (
        "acd_waiting", "routing_decisions", "agent_state_log", "agent_states", "not_ready_reasons", "queues",
        "agent_api_keys", "agent_skills", "agents", "skills",
    ):
        op.drop_table(table)
