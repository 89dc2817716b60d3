"""Report bodies: `/api/v1/reports/kpis` (formulas in README "KPIs", computed by ccserver/crm/kpis.py)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from ccserver.crm.kpis import GroupBy, KpiReport, KpiRow

_NONE_NOTE = " Null when its denominator is 0 or it has no meaning for the grouping."


class KpiRowOut(BaseModel):
    group: str = Field(description="Queue name, agent id, hour start (UTC, ISO 8601) or `overall`.",
                       examples=["billing"])
    agent_extension: str | None = Field(description="Agent rows: the agent's extension.")
    agent_name: str | None = Field(description="Agent rows: the agent's name.")
    answered: int = Field(description="`AcdAnswered` events.")
    answered_within_sl: int = Field(description="Answered with a wait at or under the queue's `sl_threshold_s`.")
    abandoned: int | None = Field(description="`AcdLeft` with reason `abandoned`; null on agent rows.")
    handled: int = Field(description="`AcdEnded` events.")
    fcr_calls: int = Field(description="Answered inbound calls with a known caller number.")
    fcr_resolved: int = Field(description="... whose caller made no other inbound call within the FCR window.")
    talk_s: float = Field(description="Sum of `TalkS` (answer to end of the agent's part, holds included).")
    hold_s: float = Field(description="Sum of Hold -> Unhold periods on answered calls.")
    acw_s: float = Field(description="Time in `wrap_up`.")
    ready_s: float | None = Field(description="Time in `ready`; null on queue rows.")
    logged_in_s: float | None = Field(description="Time in any state but `logged_out`; null on queue rows.")
    asa_s: float | None = Field(description="Average speed of answer." + _NONE_NOTE)
    avg_queue_time_s: float | None = Field(description="Mean wait of answered and abandoned calls." + _NONE_NOTE)
    avg_hold_s: float | None = Field(description="hold_s / answered." + _NONE_NOTE)
    abandon_rate_pct: float | None = Field(description="abandoned / (answered + abandoned) x 100." + _NONE_NOTE)
    service_level_pct: float | None = Field(
        description="answered_within_sl / (answered + abandoned) x 100." + _NONE_NOTE
    )
    aht_s: float | None = Field(description="(talk_s + acw_s) / handled: talk, hold and ACW." + _NONE_NOTE)
    avg_acw_s: float | None = Field(description="acw_s / handled." + _NONE_NOTE)
    occupancy_pct: float | None = Field(description="talk_s / (talk_s + ready_s) x 100." + _NONE_NOTE)
    ready_ratio_pct: float | None = Field(description="ready_s / logged_in_s x 100." + _NONE_NOTE)
    fcr_pct: float | None = Field(description="fcr_resolved / fcr_calls x 100." + _NONE_NOTE)

    @classmethod
    def of(cls, row: KpiRow) -> KpiRowOut:
        return cls.model_validate(asdict(row))


class KpiReportOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    group_by: GroupBy
    from_: datetime = Field(alias="from", description="Start of the window (inclusive).")
    to: datetime = Field(description="End of the window (exclusive).")
    fcr_window_days: int
    groups: list[KpiRowOut] = Field(description="One row per group, in name (agents: extension, hours: time) order.")
    overall: KpiRowOut = Field(description="The whole window.")

    @classmethod
    def of(cls, report: KpiReport) -> KpiReportOut:
        return cls(
            group_by=report.group_by, from_=report.start, to=report.end, fcr_window_days=report.fcr_window_days,
            groups=[KpiRowOut.of(row) for row in report.groups], overall=KpiRowOut.of(report.overall),
        )


# CSV: one row per group in this column order (the overall row last); seconds with 3 decimals, percentages 2.
CSV_COLUMNS: tuple[str, ...] = tuple(KpiRowOut.model_fields)


def csv_value(column: str, value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.2f}" if column.endswith("_pct") else f"{value:.3f}"
    return str(value)
