"""The initial CRM schema: customers, contacts, calls, legs, bridges, call_events, api_keys, switches.

Hand-written to mirror ccserver/crm/tables.py as it stood at this revision;
tests/db/test_migrations.py proves head and tables.py agree.

Revision ID: 0001_initial
Revises:
Create Date: 2024-06-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)
NEW_UUID = sa.text("gen_random_uuid()")  # built in since PostgreSQL 13


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("id", UUID(as_uuid=True), primary_key=True, server_default=NEW_UUID),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("account_number", sa.Text, unique=True),
        sa.Column("email", sa.Text),
        sa.Column("tier", sa.Text, nullable=False, server_default="standard"),
        sa.Column("language", sa.Text, nullable=False, server_default="en"),
        sa.Column("custom_fields", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("created_at", TZ, nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", TZ, nullable=False, server_default=sa.func.now()),
    )

    op.create_table(
        "contacts",
        sa.Column("id", UUID(as_uuid=True), primary_key=True, server_default=NEW_UUID),
        sa.Column(
            "customer_id",
            UUID(as_uuid=True),
            sa.ForeignKey("customers.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("e164", sa.Text),
        sa.Column("label", sa.Text),
        sa.Column("created_at", TZ, nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint("customer_id", "kind", "value", name="uq_contacts_customer_kind_value"),
    )
    op.create_index("ix_contacts_e164", "contacts", ["e164"], postgresql_where=sa.text("e164 IS NOT NULL"))
    op.create_index("ix_contacts_customer", "contacts", ["customer_id"])

    op.create_table(
        "calls",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("switch_id", sa.Text, nullable=False),
        sa.Column("linkedid", sa.Text, nullable=False),
        sa.Column("direction", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("outcome", sa.Text),
        sa.Column("caller_number", sa.Text),
        sa.Column("caller_e164", sa.Text),
        sa.Column("caller_name", sa.Text),
        sa.Column("dialed_number", sa.Text),
        sa.Column("customer_id", UUID(as_uuid=True), sa.ForeignKey("customers.id", ondelete="SET NULL")),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("answered_at", TZ),
        sa.Column("ended_at", TZ),
        sa.Column("hangup_cause", sa.SmallInteger),
        sa.Column("hangup_cause_text", sa.Text),
        sa.Column("transfer_count", sa.SmallInteger, nullable=False, server_default="0"),
        sa.Column("stale", sa.Boolean, nullable=False, server_default="false"),
        sa.Column("updated_at", TZ, nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint("switch_id", "linkedid", name="uq_calls_switch_linkedid"),
    )
    op.create_index("ix_calls_started_at_id", "calls", ["started_at", "id"])
    op.create_index("ix_calls_customer", "calls", ["customer_id"])
    op.create_index("ix_calls_open", "calls", ["switch_id"], postgresql_where=sa.text("state <> 'ended'"))

    op.create_table(
        "legs",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "call_id", UUID(as_uuid=True), sa.ForeignKey("calls.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("switch_id", sa.Text, nullable=False),
        sa.Column("uniqueid", sa.Text, nullable=False),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("tech", sa.Text, nullable=False),
        sa.Column("endpoint", sa.Text),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("caller_number", sa.Text),
        sa.Column("caller_name", sa.Text),
        sa.Column("connected_number", sa.Text),
        sa.Column("connected_name", sa.Text),
        sa.Column("context", sa.Text),
        sa.Column("exten", sa.Text),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("dial_status", sa.Text),
        sa.Column("bridge_id", sa.Text),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("ringing_at", TZ),
        sa.Column("answered_at", TZ),
        sa.Column("hungup_at", TZ),
        sa.Column("hangup_cause", sa.SmallInteger),
        sa.Column("hangup_cause_text", sa.Text),
        sa.UniqueConstraint("switch_id", "uniqueid", name="uq_legs_switch_uniqueid"),
    )
    op.create_index("ix_legs_call", "legs", ["call_id"])

    op.create_table(
        "bridges",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("call_id", UUID(as_uuid=True), sa.ForeignKey("calls.id", ondelete="CASCADE")),
        sa.Column("switch_id", sa.Text, nullable=False),
        sa.Column("bridge_uniqueid", sa.Text, nullable=False),
        sa.Column("bridge_type", sa.Text),
        sa.Column("technology", sa.Text),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("destroyed_at", TZ),
        sa.Column("max_members", sa.SmallInteger, nullable=False, server_default="0"),
        sa.UniqueConstraint("switch_id", "bridge_uniqueid", name="uq_bridges_switch_uniqueid"),
    )
    op.create_index("ix_bridges_call", "bridges", ["call_id"])

    op.create_table(
        "call_events",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("switch_id", sa.Text, primary_key=True),
        sa.Column("call_id", UUID(as_uuid=True)),
        sa.Column("leg_id", UUID(as_uuid=True)),
        sa.Column("event", sa.Text, nullable=False),
        sa.Column("uniqueid", sa.Text),
        sa.Column("linkedid", sa.Text),
        sa.Column("occurred_at", TZ, nullable=False),
        sa.Column("received_at", TZ, nullable=False),
        sa.Column("raw", JSONB, nullable=False),
    )
    op.create_index("ix_call_events_call", "call_events", ["call_id", "id"])

    op.create_table(
        "api_keys",
        sa.Column("id", UUID(as_uuid=True), primary_key=True, server_default=NEW_UUID),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("prefix", sa.Text, nullable=False, unique=True),
        sa.Column("key_hash", sa.Text, nullable=False),
        sa.Column("created_at", TZ, nullable=False, server_default=sa.func.now()),
        sa.Column("last_used_at", TZ),
        sa.Column("revoked_at", TZ),
    )

    op.create_table(
        "switches",
        sa.Column("switch_id", sa.Text, primary_key=True),
        sa.Column("connected", sa.Boolean, nullable=False, server_default="false"),
        sa.Column("stale", sa.Boolean, nullable=False, server_default="true"),
        sa.Column("asterisk_version", sa.Text),
        sa.Column("last_login_at", TZ),
        sa.Column("last_resync_at", TZ),
        sa.Column("updated_at", TZ, nullable=False, server_default=sa.func.now()),
    )


def downgrade() -> None:
    # Dependants first; dropping a table drops its indexes and constraints with it.
    for table in ("switches", "api_keys", "call_events", "bridges", "legs", "calls", "contacts", "customers"):
        op.drop_table(table)
