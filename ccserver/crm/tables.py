"""The CRM schema as SQLAlchemy Core tables.

Alembic migrations in `migrations/` create it; this module mirrors them for queries, and
`tests/db/test_migrations.py` proves the two agree.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Float,
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


# ---- the ACD (issue 4): skills, agents, queues, agent states, routing decisions, waiting calls -------------

AGENT_STATES = ("logged_out", "ready", "not_ready", "reserved", "on_call", "wrap_up")
STATE_SOURCES = ("agent", "supervisor", "system")
QUEUE_STRATEGIES = ("longest_idle", "least_occupied", "most_skilled")
WAITING_STATES = ("waiting", "offered", "connected", "abandoned", "callback_pending", "overflowed", "voicemail")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


skills = Table(
    "skills",
    metadata,
    Column("name", Text, primary_key=True),
    Column("description", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# A person taking calls, reachable as PJSIP endpoint `<extension>`. The SIP password is kept only as its
# digest HA1, md5("<extension>:<realm>:<password>"), which is what Asterisk's `password_digest` takes.
agents = Table(
    "agents",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")),
    Column("extension", Text, nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("sip_ha1", Text, nullable=False),
    Column("max_concurrent", SmallInteger, nullable=False, server_default="1"),
    Column("active", Boolean, nullable=False, server_default="true"),
    Column("version", Integer, nullable=False, server_default="1"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("max_concurrent BETWEEN 1 AND 20", name="ck_agents_max_concurrent"),
)
Index("ix_agents_created_at_id", agents.c.created_at, agents.c.id)

agent_skills = Table(
    "agent_skills",
    metadata,
    Column("agent_id", UUID(as_uuid=True), ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True),
    Column("skill", Text, ForeignKey("skills.name"), primary_key=True),
    Column("level", SmallInteger, nullable=False),
    CheckConstraint("level BETWEEN 1 AND 10", name="ck_agent_skills_level"),
)
Index("ix_agent_skills_skill", agent_skills.c.skill, agent_skills.c.level)

# An API key of the agent role acts for one agent: it reads that agent and changes its state.
agent_api_keys = Table(
    "agent_api_keys",
    metadata,
    Column("api_key_id", UUID(as_uuid=True), ForeignKey("api_keys.id", ondelete="CASCADE"), primary_key=True),
    Column("agent_id", UUID(as_uuid=True), ForeignKey("agents.id", ondelete="CASCADE"), nullable=False),
)
Index("ix_agent_api_keys_agent", agent_api_keys.c.agent_id)

# `required_skills` is {skill: minimum level}; `escalation` a list of steps ({after_s, action, ...}) whose
# shape ccserver/crm/acd_model.py checks. Queue and skill names inside them are checked by the services.
queues = Table(
    "queues",
    metadata,
    Column("name", Text, primary_key=True),
    Column("description", Text),
    Column("priority", SmallInteger, nullable=False, server_default="0"),
    Column("required_skills", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("sl_target_pct", SmallInteger, nullable=False, server_default="80"),
    Column("sl_threshold_s", Integer, nullable=False, server_default="20"),
    Column("max_wait_s", Integer),
    Column("wrapup_s", Integer, nullable=False, server_default="0"),
    Column("strategy", Text, nullable=False, server_default="most_skilled"),
    Column("overflow_queue", Text),
    Column("announce_every_s", Integer),
    Column("announce_position", Boolean, nullable=False, server_default="true"),
    Column("announce_wait", Boolean, nullable=False, server_default="true"),
    Column("escalation", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("screenpop_url", Text),  # external CRM page template for the agent's desktop
    Column("version", Integer, nullable=False, server_default="1"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint(_one_of("strategy", QUEUE_STRATEGIES), name="ck_queues_strategy"),
    CheckConstraint("sl_target_pct BETWEEN 1 AND 100", name="ck_queues_sl_target_pct"),
)

not_ready_reasons = Table(
    "not_ready_reasons",
    metadata,
    Column("code", Text, primary_key=True),
    Column("label", Text, nullable=False),
    # Time in this reason counts as productive (training, back-office work) in occupancy reports.
    Column("productive", Boolean, nullable=False, server_default="false"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Each agent's state now; every change is also a row of agent_state_log.
agent_states = Table(
    "agent_states",
    metadata,
    Column("agent_id", UUID(as_uuid=True), ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True),
    Column("state", Text, nullable=False),
    Column("reason", Text),
    Column("since", DateTime(timezone=True), nullable=False),
    Column("call_id", UUID(as_uuid=True)),
    CheckConstraint(_one_of("state", AGENT_STATES), name="ck_agent_states_state"),
)

# Append-only history of state changes: what occupancy and adherence reports read. No foreign key to
# agents: the history outlives an agent's deletion.
agent_state_log = Table(
    "agent_state_log",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("agent_id", UUID(as_uuid=True), nullable=False),
    Column("from_state", Text, nullable=False),
    Column("to_state", Text, nullable=False),
    Column("reason", Text),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("call_id", UUID(as_uuid=True)),
    Column("source", Text, nullable=False),
    CheckConstraint(_one_of("from_state", AGENT_STATES), name="ck_agent_state_log_from_state"),
    CheckConstraint(_one_of("to_state", AGENT_STATES), name="ck_agent_state_log_to_state"),
    CheckConstraint(_one_of("source", STATE_SOURCES), name="ck_agent_state_log_source"),
)
Index("ix_agent_state_log_agent_at", agent_state_log.c.agent_id, agent_state_log.c.at)

# Every look the ACD took for a call (ccserver/routing/decisions.py `Decision`): what made it look, the
# requirements and escalation step in force, the best candidates, the agents left out and why, and the
# agent chosen (none: the call waits). No foreign keys: decisions can be stored before the journal has the call.
routing_decisions = Table(
    "routing_decisions",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("call_id", UUID(as_uuid=True), nullable=False),
    Column("switch_id", Text),
    Column("decided_at", DateTime(timezone=True), nullable=False),
    Column("trigger", Text, nullable=False),  # call_arrived | agent_available | escalation | requeued | ...
    Column("queue", Text, nullable=False),
    Column("rank", Integer),  # the call's place in its queue
    Column("waited_s", Float),
    Column("strategy", Text),
    Column("step", JSONB),  # {"index": n, "text": "..."}: the escalation step in force
    Column("requirements", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("chosen_agent_id", UUID(as_uuid=True)),
    Column("eligible", Integer, nullable=False, server_default="0"),
    Column("candidates", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("excluded", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("excluded_counts", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("outcome", Text, nullable=False),  # offered | waiting | ...
)
Index("ix_routing_decisions_call", routing_decisions.c.call_id, routing_decisions.c.id)

# Calls the ACD holds (waiting, offered, callback pending): enough to pick them up after a restart.
# `enqueued_at` orders the queue; `uniqueid`/`channel` name the caller's channel on its switch.
acd_waiting = Table(
    "acd_waiting",
    metadata,
    Column("call_id", UUID(as_uuid=True), primary_key=True),
    Column("switch_id", Text, nullable=False),
    Column("uniqueid", Text),
    Column("channel", Text),
    Column("queue", Text, nullable=False),
    Column("priority", SmallInteger, nullable=False, server_default="0"),
    Column("skills", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("language", Text),
    Column("enqueued_at", DateTime(timezone=True), nullable=False),
    Column("queue_entered_at", DateTime(timezone=True)),  # escalation and max wait count from it
    Column("step", SmallInteger, nullable=False, server_default="0"),  # escalation steps already applied
    Column("callback", Boolean, nullable=False, server_default="false"),
    Column("callback_number", Text),
    Column("state", Text, nullable=False, server_default="waiting"),
    Column("agent_id", UUID(as_uuid=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint(_one_of("state", WAITING_STATES), name="ck_acd_waiting_state"),
)
Index("ix_acd_waiting_queue", acd_waiting.c.queue, acd_waiting.c.enqueued_at)


# ---- cases and call dispositions (issue 5) ------------------------------------------------------------------

CASE_STATUSES = ("open", "pending", "resolved")

# What an agent picks at the end of a call. `resolves`: the caller's issue was dealt with (first-contact
# resolution counts it). A code in use is deactivated, never deleted: the history keeps pointing at it.
dispositions = Table(
    "dispositions",
    metadata,
    Column("code", Text, primary_key=True),
    Column("label", Text, nullable=False),
    Column("resolves", Boolean, nullable=False, server_default="false"),
    Column("active", Boolean, nullable=False, server_default="true"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# One disposition per agent per call; setting it again replaces it. No foreign key to calls: an agent can
# disposition a call before the journal has stored it. `agent_id` is NULL when a supervisor set it for the
# call as a whole, or once the agent is deleted.
call_dispositions = Table(
    "call_dispositions",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("call_id", UUID(as_uuid=True), nullable=False),
    Column("agent_id", UUID(as_uuid=True), ForeignKey("agents.id", ondelete="SET NULL")),
    Column("code", Text, ForeignKey("dispositions.code"), nullable=False),
    Column("notes", Text),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("call_id", "agent_id", name="uq_call_dispositions_call_agent"),
)
Index("ix_call_dispositions_agent", call_dispositions.c.agent_id)

# A ticket: a customer's issue worked over one or more calls. `resolved_at` is set exactly while the case is
# resolved; `created_by` is `agent:<id>` or `key:<API key name>`.
cases = Table(
    "cases",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")),
    Column("customer_id", UUID(as_uuid=True), ForeignKey("customers.id", ondelete="SET NULL")),
    Column("call_id", UUID(as_uuid=True)),  # the call it was opened from; no foreign key, as above
    Column("subject", Text, nullable=False),
    Column("status", Text, nullable=False, server_default="open"),
    Column("priority", SmallInteger, nullable=False, server_default="0"),  # 0 (normal) to 9 (most urgent)
    Column("sla_due_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("resolved_at", DateTime(timezone=True)),
    Column("created_by", Text, nullable=False),
    Column("version", Integer, nullable=False, server_default="1"),
    CheckConstraint(_one_of("status", CASE_STATUSES), name="ck_cases_status"),
    CheckConstraint("priority BETWEEN 0 AND 9", name="ck_cases_priority"),
    CheckConstraint("(status = 'resolved') = (resolved_at IS NOT NULL)", name="ck_cases_resolved_at"),
)
Index("ix_cases_customer_status", cases.c.customer_id, cases.c.status)
Index("ix_cases_created_at_id", cases.c.created_at, cases.c.id)
Index("ix_cases_call", cases.c.call_id)

case_notes = Table(
    "case_notes",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("case_id", UUID(as_uuid=True), ForeignKey("cases.id", ondelete="CASCADE"), nullable=False),
    Column("author", Text, nullable=False),  # like cases.created_by
    Column("body", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
Index("ix_case_notes_case", case_notes.c.case_id, case_notes.c.id)
