"""Contact-center KPIs for a time window, computed in PostgreSQL from what was recorded: the ACD's journal
events (`ccserver.Acd*`, ccserver/acd/journal.py), AMI `Hold`/`Unhold` events, `calls` and
`agent_state_log`. README "KPIs" gives every formula; this module is its one implementation.

Each figure counts what happened in the window [start, end) (or in the group's hour): answers, abandons
and ends by their event time, a hold period where it began, agents' states clipped to the window (an
interval still open runs to the window's end or `now`, whichever is earlier). A group is the event's own
queue or agent, the UTC hour, or everything ("overall"). Journal ids are arrival times in microseconds,
so `call_events.id` bounds the scan from below, as in ccserver/crm/acd_stats.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import DateTime, Integer, Text, TextClause, bindparam, text
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from ccserver.crm.acd_stats import ABANDONED, ANSWERED, LEFT

ENDED = "ccserver.AcdEnded"
DEFAULT_SL_THRESHOLD_S = 20  # a queue deleted since is judged against the queues table's default
FCR_WINDOW_DAYS = 7


class GroupBy(StrEnum):
    QUEUE = "queue"
    AGENT = "agent"
    HOUR = "hour"
    OVERALL = "overall"


@dataclass(frozen=True, slots=True)
class KpiRow:
    """One group's figures and KPIs. A KPI is None when its denominator is 0 or when it has no meaning
    for the grouping: abandons reach no agent (agent rows have no abandon rate, service level or queue
    time), and idle time belongs to no queue (queue rows have no ready time, occupancy or ready ratio).
    `talk_s` runs from answer to the end of the agent's part, so it contains `hold_s`."""

    group: str  # queue name, agent id, hour start (ISO 8601, UTC) or "overall"
    agent_extension: str | None
    agent_name: str | None
    answered: int
    answered_within_sl: int
    abandoned: int | None
    handled: int
    fcr_calls: int  # answered inbound calls with a known caller
    fcr_resolved: int  # ... whose caller did not call again within the FCR window
    talk_s: float
    hold_s: float
    acw_s: float
    ready_s: float | None
    logged_in_s: float | None
    asa_s: float | None
    avg_queue_time_s: float | None
    avg_hold_s: float | None
    abandon_rate_pct: float | None
    service_level_pct: float | None
    aht_s: float | None
    avg_acw_s: float | None
    occupancy_pct: float | None
    ready_ratio_pct: float | None
    fcr_pct: float | None


@dataclass(frozen=True, slots=True)
class KpiReport:
    group_by: GroupBy
    start: datetime
    end: datetime
    fcr_window_days: int
    groups: list[KpiRow]
    overall: KpiRow


# Where each fact's group comes from. Events (and holds, under the answer they belong to) carry queue,
# agent_id and occurred_at; agents' state spans carry queue (wrap-up only: the call's queue), agent_id
# and the bucket (the hour, or the whole window) they are cut into.
_EVENT_KEY = {
    GroupBy.QUEUE: "e.queue",
    GroupBy.AGENT: "e.agent_id",
    GroupBy.HOUR: "date_trunc('hour', e.occurred_at, 'UTC')",
    GroupBy.OVERALL: "CAST('overall' AS text)",
}
_SPAN_KEY = {
    GroupBy.QUEUE: "s.queue",
    GroupBy.AGENT: "CAST(s.agent_id AS text)",
    GroupBy.HOUR: "b.hour",
    GroupBy.OVERALL: "CAST('overall' AS text)",
}
_BUCKETS = {  # the window's hours, cut to the window
    GroupBy.HOUR: """SELECT h AS hour, GREATEST(h, :start) AS b_start, LEAST(h + interval '1 hour', :end) AS b_end
        FROM generate_series(date_trunc('hour', :start, 'UTC'), :end - interval '1 microsecond',
                             interval '1 hour') AS h""",
}
_WHOLE_WINDOW = "SELECT :start AS hour, :start AS b_start, :end AS b_end"
_ALWAYS_LISTED = {  # groups shown even with nothing in them
    GroupBy.QUEUE: "SELECT name FROM queues",
    GroupBy.AGENT: "SELECT CAST(NULL AS text)",
    GroupBy.HOUR: "SELECT hour FROM buckets",
    GroupBy.OVERALL: "SELECT CAST('overall' AS text)",
}

_SQL = """
WITH
window_acd AS (  -- the ACD's answers, departures and ends in the window
    SELECT e.call_id, e.event, e.occurred_at, e.raw ->> 'Queue' AS queue, e.raw ->> 'AgentId' AS agent_id,
           e.raw ->> 'Reason' AS reason, CAST(e.raw ->> 'WaitedS' AS float8) AS waited_s,
           CAST(e.raw ->> 'TalkS' AS float8) AS talk_s
    FROM call_events e
    WHERE e.id >= :start_us AND e.occurred_at >= :start AND e.occurred_at < :end
      AND e.event IN (:answered_event, :left_event, :ended_event)
),
answered AS (
    SELECT e.*, e.waited_s <= COALESCE(q.sl_threshold_s, :default_threshold_s) AS within_sl
    FROM window_acd e LEFT JOIN queues q ON q.name = e.queue
    WHERE e.event = :answered_event
),
abandoned AS (SELECT * FROM window_acd WHERE event = :left_event AND reason = :abandoned_reason),
ended AS (SELECT * FROM window_acd WHERE event = :ended_event),

held_calls AS (
    SELECT DISTINCT call_id FROM call_events
    WHERE id >= :start_us AND occurred_at >= :start AND occurred_at < :end AND event = 'Hold'
      AND call_id IS NOT NULL
),
hold_marks AS (  -- every Hold/Unhold of those calls, per channel in arrival order
    SELECT e.call_id, e.event, e.occurred_at, LAG(e.event) OVER channel AS previous,
           MIN(e.occurred_at) FILTER (WHERE e.event = 'Unhold')
               OVER (channel ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS unheld_at
    FROM call_events e JOIN held_calls h ON h.call_id = e.call_id
    WHERE e.event IN ('Hold', 'Unhold')
    WINDOW channel AS (PARTITION BY e.switch_id, e.call_id,
                       COALESCE(e.uniqueid, e.raw ->> 'Uniqueid', e.raw ->> 'Channel') ORDER BY e.id)
),
holds AS (  -- a hold period from its Hold to the channel's next Unhold (or the call's end), under the
            -- queue and agent of the call's answer before it; a repeated Hold does not restart it
    SELECT m.occurred_at, a.queue, a.agent_id,
           CAST(EXTRACT(EPOCH FROM COALESCE(m.unheld_at, c.ended_at) - m.occurred_at) AS float8) AS hold_s
    FROM hold_marks m
    LEFT JOIN calls c ON c.id = m.call_id
    CROSS JOIN LATERAL (
        SELECT e.raw ->> 'Queue' AS queue, e.raw ->> 'AgentId' AS agent_id FROM call_events e
        WHERE e.call_id = m.call_id AND e.event = :answered_event AND e.occurred_at <= m.occurred_at
        ORDER BY e.id DESC LIMIT 1
    ) AS a
    WHERE m.event = 'Hold' AND m.previous IS DISTINCT FROM 'Hold'
      AND m.occurred_at >= :start AND m.occurred_at < :end
      AND COALESCE(m.unheld_at, c.ended_at) IS NOT NULL
),

fcr_calls AS (  -- answered inbound calls with a known caller
    SELECT DISTINCT {event_key} AS grp, c.id, c.caller_e164, c.started_at
    FROM answered e JOIN calls c ON c.id = e.call_id
    WHERE c.direction = 'inbound' AND c.caller_e164 IS NOT NULL
),
repeated AS (  -- ... whose caller called in again within the FCR window after the call started
    SELECT DISTINCT f.id FROM fcr_calls f
    JOIN calls r ON r.caller_e164 = f.caller_e164 AND r.id <> f.id AND r.direction = 'inbound'
        AND r.started_at > f.started_at AND r.started_at <= f.started_at + make_interval(days => :fcr_days)
    WHERE r.started_at > (SELECT min(started_at) FROM fcr_calls)  -- lets the started_at index bound the scan
      AND r.started_at <= (SELECT max(started_at) FROM fcr_calls) + make_interval(days => :fcr_days)
),

buckets AS ({buckets}),
state_agents AS (
    SELECT id AS agent_id FROM agents
    UNION SELECT agent_id FROM agent_state_log WHERE at >= :start AND at < :end
),
state_rows AS (  -- the transitions in the window, and before them each agent's state at its start
    SELECT l.id, l.agent_id, l.to_state, l.at, l.call_id FROM agent_state_log l WHERE l.at >= :start AND l.at < :end
    UNION ALL
    SELECT p.* FROM state_agents sa CROSS JOIN LATERAL (
        SELECT l.id, l.agent_id, l.to_state, l.at, l.call_id FROM agent_state_log l
        WHERE l.agent_id = sa.agent_id AND l.at < :start ORDER BY l.at DESC, l.id DESC LIMIT 1
    ) AS p
),
spans AS (  -- time in a state until the agent's next transition; the last one is open until now
    SELECT agent_id, to_state AS state, call_id, at AS began,
           LEAST(COALESCE(LEAD(at) OVER (PARTITION BY agent_id ORDER BY at, id), :now), :now) AS ended
    FROM state_rows
),
spans_with_queue AS (  -- wrap-up belongs to the queue of the call it follows
    SELECT s.*, q.queue FROM spans s
    LEFT JOIN LATERAL (
        SELECT e.raw ->> 'Queue' AS queue FROM call_events e
        WHERE s.state = 'wrap_up' AND e.call_id = s.call_id AND e.event = :ended_event
          AND e.raw ->> 'AgentId' = CAST(s.agent_id AS text) AND e.occurred_at <= s.began
        ORDER BY e.id DESC LIMIT 1
    ) AS q ON true
    WHERE s.ended > s.began AND s.state <> 'logged_out'
),
span_time AS (  -- each span cut to its buckets: the window's hours, or the window itself
    SELECT {span_key} AS grp, s.state,
           CAST(EXTRACT(EPOCH FROM LEAST(s.ended, b.b_end) - GREATEST(s.began, b.b_start)) AS float8) AS seconds
    FROM spans_with_queue s JOIN buckets b ON s.began < b.b_end AND s.ended > b.b_start
),

answered_g AS (
    SELECT {event_key} AS grp, count(*) AS answered, count(*) FILTER (WHERE within_sl) AS answered_within_sl,
           sum(waited_s) AS answered_wait_s
    FROM answered e GROUP BY 1
),
abandoned_g AS (
    SELECT {event_key} AS grp, count(*) AS abandoned, sum(waited_s) AS abandoned_wait_s FROM abandoned e GROUP BY 1
),
ended_g AS (SELECT {event_key} AS grp, count(*) AS handled, sum(talk_s) AS talk_s FROM ended e GROUP BY 1),
hold_g AS (SELECT {event_key} AS grp, sum(hold_s) AS hold_s FROM holds e GROUP BY 1),
fcr_g AS (
    SELECT f.grp, count(*) AS fcr_calls, count(*) FILTER (WHERE r.id IS NULL) AS fcr_resolved
    FROM fcr_calls f LEFT JOIN repeated r ON r.id = f.id GROUP BY f.grp
),
state_g AS (
    SELECT grp, sum(seconds) FILTER (WHERE state = 'wrap_up') AS acw_s,
           sum(seconds) FILTER (WHERE state = 'ready') AS ready_s, sum(seconds) AS logged_in_s
    FROM span_time GROUP BY grp
),
groups AS (
    SELECT grp FROM answered_g UNION SELECT grp FROM abandoned_g UNION SELECT grp FROM ended_g
    UNION SELECT grp FROM hold_g UNION SELECT grp FROM fcr_g UNION SELECT grp FROM state_g
    UNION {always_listed}
)
SELECT g.grp, ag.extension AS agent_extension, ag.name AS agent_name,
       COALESCE(answered, 0) AS answered, COALESCE(answered_within_sl, 0) AS answered_within_sl,
       COALESCE(answered_wait_s, 0) AS answered_wait_s, COALESCE(abandoned, 0) AS abandoned,
       COALESCE(abandoned_wait_s, 0) AS abandoned_wait_s, COALESCE(handled, 0) AS handled,
       COALESCE(talk_s, 0) AS talk_s, COALESCE(hold_s, 0) AS hold_s, COALESCE(acw_s, 0) AS acw_s,
       COALESCE(ready_s, 0) AS ready_s, COALESCE(logged_in_s, 0) AS logged_in_s,
       COALESCE(fcr_calls, 0) AS fcr_calls, COALESCE(fcr_resolved, 0) AS fcr_resolved
FROM groups g
LEFT JOIN answered_g USING (grp) LEFT JOIN abandoned_g USING (grp) LEFT JOIN ended_g USING (grp)
LEFT JOIN hold_g USING (grp) LEFT JOIN fcr_g USING (grp) LEFT JOIN state_g USING (grp)
LEFT JOIN agents ag ON :group_by = 'agent' AND CAST(ag.id AS text) = CAST(g.grp AS text)
WHERE g.grp IS NOT NULL
ORDER BY ag.extension, g.grp
"""


def _statement(group_by: GroupBy) -> TextClause:
    sql = _SQL.format(
        event_key=_EVENT_KEY[group_by], span_key=_SPAN_KEY[group_by],
        buckets=_BUCKETS.get(group_by, _WHOLE_WINDOW), always_listed=_ALWAYS_LISTED[group_by],
    )
    return text(sql).bindparams(
        bindparam("start", type_=DateTime(timezone=True)), bindparam("end", type_=DateTime(timezone=True)),
        bindparam("now", type_=DateTime(timezone=True)), bindparam("group_by", type_=Text),
        bindparam("fcr_days", type_=Integer),
    )


async def kpi_report(
    *, session: AsyncSession, group_by: GroupBy, start: datetime, end: datetime, now: datetime,
    fcr_window_days: int = FCR_WINDOW_DAYS,
) -> KpiReport:
    """The KPIs of [start, end) per group, and overall. `now` ends intervals still open."""
    if end <= start:
        raise ValueError("the window must end after it starts")
    groups = await _rows(session, group_by, start, end, now, fcr_window_days)
    overall = groups if group_by is GroupBy.OVERALL else await _rows(
        session, GroupBy.OVERALL, start, end, now, fcr_window_days
    )
    return KpiReport(group_by=group_by, start=start, end=end, fcr_window_days=fcr_window_days, groups=groups,
                     overall=overall[0])


async def _rows(
    session: AsyncSession, group_by: GroupBy, start: datetime, end: datetime, now: datetime, fcr_days: int
) -> list[KpiRow]:
    params = {
        "start": start, "end": end, "now": now, "start_us": int(start.timestamp() * 1_000_000),
        "group_by": group_by.value, "fcr_days": fcr_days, "default_threshold_s": DEFAULT_SL_THRESHOLD_S,
        "answered_event": ANSWERED, "left_event": LEFT, "ended_event": ENDED, "abandoned_reason": ABANDONED,
    }
    result = await session.execute(_statement(group_by), params)
    return [_kpi_row(group_by, row) for row in result.mappings()]


def _ratio(part: float, whole: float, scale: float = 1.0) -> float | None:
    return scale * part / whole if whole else None


def _group_name(value: object) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


def _kpi_row(group_by: GroupBy, r: RowMapping) -> KpiRow:
    answered, abandoned, handled = r["answered"], r["abandoned"], r["handled"]
    talk, hold, acw, ready, logged_in = r["talk_s"], r["hold_s"], r["acw_s"], r["ready_s"], r["logged_in_s"]
    waited = answered + abandoned
    by_agent, by_queue = group_by is GroupBy.AGENT, group_by is GroupBy.QUEUE
    return KpiRow(
        group=_group_name(r["grp"]), agent_extension=r["agent_extension"], agent_name=r["agent_name"],
        answered=answered, answered_within_sl=r["answered_within_sl"], abandoned=None if by_agent else abandoned,
        handled=handled, fcr_calls=r["fcr_calls"], fcr_resolved=r["fcr_resolved"],
        talk_s=talk, hold_s=hold, acw_s=acw,
        ready_s=None if by_queue else ready, logged_in_s=None if by_queue else logged_in,
        asa_s=_ratio(r["answered_wait_s"], answered),
        avg_queue_time_s=None if by_agent else _ratio(r["answered_wait_s"] + r["abandoned_wait_s"], waited),
        avg_hold_s=_ratio(hold, answered),
        abandon_rate_pct=None if by_agent else _ratio(abandoned, waited, 100),
        service_level_pct=None if by_agent else _ratio(r["answered_within_sl"], waited, 100),
        # talk_s already holds the hold periods (TalkS runs from answer to end): talk + hold + ACW
        aht_s=_ratio(talk + acw, handled),
        avg_acw_s=_ratio(acw, handled),
        occupancy_pct=None if by_queue else _ratio(talk, talk + ready, 100),
        ready_ratio_pct=None if by_queue else _ratio(ready, logged_in, 100),
        fcr_pct=_ratio(r["fcr_resolved"], r["fcr_calls"], 100),
    )
