"""The CRM schema as SQLAlchemy Core tables.

Alembic migrations in `migrations/` create it; this module mirrors them for queries, and
`tests/db/test_migrations.py` proves the two agree.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

metadata = MetaData()

customers = Table(
    "customers",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")),
    Column("name", Text, nullable=False),
    Column("account_number", Text, unique=True),
    Column("email", Text),
    Column("tier", Text, nullable=False, server_default="standard"),
    Column("language", Text, nullable=False, server_default="en"),
    Column("custom_fields", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("version", Integer, nullable=False, server_default="1"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# A customer's ways to be reached. Phone contacts carry the E.164 form used for caller-id matching.
contacts = Table(
    "contacts",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")),
    Column("customer_id", UUID(as_uuid=True), ForeignKey("customers.id", ondelete="CASCADE"), nullable=False),
    Column("kind", Text, nullable=False),  # phone | email
    Column("value", Text, nullable=False),  # as entered
    Column("e164", Text),  # phones only
    Column("label", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("customer_id", "kind", "value", name="uq_contacts_customer_kind_value"),
)
Index("ix_contacts_e164", contacts.c.e164, postgresql_where=contacts.c.e164.isnot(None))
Index("ix_contacts_customer", contacts.c.customer_id)

# One customer interaction: every channel Asterisk links together (its linkedid) on one switch.
calls = Table(
    "calls",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("switch_id", Text, nullable=False),
    Column("linkedid", Text, nullable=False),
    Column("direction", Text, nullable=False),  # inbound | outbound | internal
    Column("state", Text, nullable=False),  # active | ended
    Column("outcome", Text),  # answered | busy | no_answer | abandoned | failed | not_dialed
    Column("caller_number", Text),
    Column("caller_e164", Text),
    Column("caller_name", Text),
    Column("dialed_number", Text),
    Column("customer_id", UUID(as_uuid=True), ForeignKey("customers.id", ondelete="SET NULL")),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("answered_at", DateTime(timezone=True)),
    Column("ended_at", DateTime(timezone=True)),
    Column("hangup_cause", SmallInteger),
    Column("hangup_cause_text", Text),
    Column("transfer_count", SmallInteger, nullable=False, server_default="0"),
    Column("stale", Boolean, nullable=False, server_default="false"),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("switch_id", "linkedid", name="uq_calls_switch_linkedid"),
)
Index("ix_calls_started_at_id", calls.c.started_at, calls.c.id)
Index("ix_calls_customer", calls.c.customer_id)
Index("ix_calls_open", calls.c.switch_id, postgresql_where=calls.c.state != "ended")

# One channel of a call.
legs = Table(
    "legs",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("call_id", UUID(as_uuid=True), ForeignKey("calls.id", ondelete="CASCADE"), nullable=False),
    Column("switch_id", Text, nullable=False),
    Column("uniqueid", Text, nullable=False),
    Column("channel", Text, nullable=False),
    Column("tech", Text, nullable=False),
    Column("endpoint", Text),
    Column("role", Text, nullable=False),  # originator | dialed | other
    Column("caller_number", Text),
    Column("caller_name", Text),
    Column("connected_number", Text),
    Column("connected_name", Text),
    Column("context", Text),
    Column("exten", Text),
    Column("state", Text, nullable=False),
    Column("dial_status", Text),
    Column("bridge_id", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("ringing_at", DateTime(timezone=True)),
    Column("answered_at", DateTime(timezone=True)),
    Column("hungup_at", DateTime(timezone=True)),
    Column("hangup_cause", SmallInteger),
    Column("hangup_cause_text", Text),
    UniqueConstraint("switch_id", "uniqueid", name="uq_legs_switch_uniqueid"),
)
Index("ix_legs_call", legs.c.call_id)

bridges = Table(
    "bridges",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("call_id", UUID(as_uuid=True), ForeignKey("calls.id", ondelete="CASCADE")),
    Column("switch_id", Text, nullable=False),
    Column("bridge_uniqueid", Text, nullable=False),
    Column("bridge_type", Text),
    Column("technology", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("destroyed_at", DateTime(timezone=True)),
    Column("max_members", SmallInteger, nullable=False, server_default="0"),
    UniqueConstraint("switch_id", "bridge_uniqueid", name="uq_bridges_switch_uniqueid"),
)
Index("ix_bridges_call", bridges.c.call_id)

# The append-only journal. `id` is assigned by ccserver in arrival order (see events/journal_ids.py),
# so a retried batch is recognised and nothing is stored twice. The key includes the switch: ids come
# from one process's clock, and two ccservers following different switches may share a database.
call_events = Table(
    "call_events",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("switch_id", Text, primary_key=True),
    Column("call_id", UUID(as_uuid=True)),
    Column("leg_id", UUID(as_uuid=True)),
    Column("event", Text, nullable=False),
    Column("uniqueid", Text),
    Column("linkedid", Text),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("raw", JSONB, nullable=False),
)
Index("ix_call_events_call", call_events.c.call_id, call_events.c.id)

# One pass of a call through an IVR flow. No foreign key to calls: the AGI session can report before
# the AMI journal has stored the call, and the journal must never refuse a row for that.
ivr_sessions = Table(
    "ivr_sessions",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("call_id", UUID(as_uuid=True), nullable=False),
    Column("switch_id", Text, nullable=False),
    Column("uniqueid", Text, nullable=False),
    Column("linkedid", Text, nullable=False),
    Column("flow", Text, nullable=False),
    Column("flow_version", Text, nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True)),
    Column("language", Text, nullable=False),
    Column("path", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("collected", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("routing", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("customer_id", UUID(as_uuid=True)),
    Column("outcome", Text),  # handoff | callback | voicemail | hangup | fallback | abandoned
    Column("reason", Text),
    Column("callback_number", Text),
    Column("message_path", Text),
)
Index("ix_ivr_sessions_call", ivr_sessions.c.call_id, ivr_sessions.c.started_at)
Index(
    "ix_ivr_sessions_callbacks", ivr_sessions.c.started_at, postgresql_where=ivr_sessions.c.outcome == "callback"
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")),
    Column("name", Text, nullable=False),
    Column("role", Text, nullable=False),  # admin | supervisor | agent | integrator
    Column("prefix", Text, nullable=False, unique=True),
    Column("key_hash", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("last_used_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
)

# Live link state per switch: what /readyz and the resync logic read.
switches = Table(
    "switches",
    metadata,
    Column("switch_id", Text, primary_key=True),
    Column("connected", Boolean, nullable=False, server_default="false"),
    Column("stale", Boolean, nullable=False, server_default="true"),
    Column("asterisk_version", Text),
    Column("last_login_at", DateTime(timezone=True)),
    Column("last_resync_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

