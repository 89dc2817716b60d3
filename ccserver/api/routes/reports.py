"""/api/v1/reports: contact-center KPIs over a time window, as JSON or CSV (README "KPIs")."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Query, Response
from fastapi.exceptions import RequestValidationError

from ccserver.api.auth import require_role
from ccserver.api.deps import SessionDep
from ccserver.api.schemas.common import problem_responses
from ccserver.api.schemas.reports import CSV_COLUMNS, KpiReportOut, KpiRowOut, csv_value
from ccserver.api.schemas.types import UtcDateTime
from ccserver.crm.acd_stats import start_of_day
from ccserver.crm.apikeys import ApiKey, Role
from ccserver.crm.kpis import FCR_WINDOW_DAYS, GroupBy, kpi_report

router = APIRouter(prefix="/api/v1/reports", tags=["reports"], responses=problem_responses(401, 403, 422))

ReportReader = Annotated[ApiKey, Depends(require_role(Role.ADMIN, Role.SUPERVISOR, Role.INTEGRATOR))]
MAX_WINDOW = timedelta(days=366)
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"


def _bad_query(field: str, msg: str) -> RequestValidationError:
    return RequestValidationError([{"loc": ("query", field), "msg": msg, "type": "value_error"}])


def report_window(
    start: Annotated[
        UtcDateTime | None,
        Query(alias="from", description="Window start, inclusive (ISO 8601; UTC if no offset). Default: "
                                        "24 h before `to`, or midnight UTC today."),
    ] = None,
    end: Annotated[
        UtcDateTime | None, Query(alias="to", description="Window end, exclusive. Default: 24 h after `from`.")
    ] = None,
) -> tuple[datetime, datetime]:
    if start is None:
        start = end - timedelta(days=1) if end is not None else start_of_day(datetime.now(UTC))
    if end is None:
        end = start + timedelta(days=1)
    if end <= start:
        raise _bad_query("to", "must be after `from`")
    if end - start > MAX_WINDOW:
        raise _bad_query("to", f"must be at most {MAX_WINDOW.days} days after `from`")
    return start, end


@router.get(
    "/kpis", summary="KPIs by queue, agent, hour or overall", response_model=KpiReportOut,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}},
                     "description": "JSON, or CSV with `Accept: text/csv` or `?format=csv`."}},
)
async def kpis(
    session: SessionDep,
    _: ReportReader,
    window: Annotated[tuple[datetime, datetime], Depends(report_window)],
    group_by: GroupBy = GroupBy.OVERALL,
    fcr_window_days: Annotated[
        int, Query(ge=1, le=90, description="A caller calling in again within this many days is a repeat.")
    ] = FCR_WINDOW_DAYS,
    output_format: Annotated[
        Literal["json", "csv"] | None, Query(alias="format", description="Overrides the `Accept` header.")
    ] = None,
    accept: Annotated[str | None, Header()] = None,
) -> Response | KpiReportOut:
    """ASA, average queue and hold time, abandon rate, service level, AHT, ACW, occupancy, ready ratio and
    FCR for the window; every figure's formula is in the README ("KPIs"). `overall` is always included."""
    start, end = window
    report = KpiReportOut.of(await kpi_report(
        session=session, group_by=group_by, start=start, end=end, now=datetime.now(UTC),
        fcr_window_days=fcr_window_days,
    ))
    wants_csv = output_format == "csv" or (output_format is None and "text/csv" in (accept or ""))
    if not wants_csv:
        return report
    name = f"kpis-{group_by.value}-{start:%Y%m%dT%H%M%SZ}.csv"
    return Response(_csv(report), media_type=CSV_MEDIA_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _csv(report: KpiReportOut) -> str:
    rows: list[KpiRowOut] = list(report.groups)
    if report.group_by is not GroupBy.OVERALL:
        rows.append(report.overall)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow([csv_value(column, getattr(row, column)) for column in CSV_COLUMNS])
    return out.getvalue()
