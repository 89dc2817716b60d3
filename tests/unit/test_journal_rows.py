"""The upserts insert exactly the columns the row builders produce, in the same order."""

from __future__ import annotations

import re

import pytest

from ccserver.crm import journal_rows as rows


@pytest.mark.parametrize(
    ("sql", "columns"),
    [
        (rows.UPSERT_CALL, rows.CALL_COLUMNS),
        (rows.UPSERT_LEG, rows.LEG_COLUMNS),
        (rows.UPSERT_BRIDGE, rows.BRIDGE_COLUMNS),
    ],
)
def test_upsert_columns_follow_the_row_order(sql: str, columns: tuple[str, ...]) -> None:
    inserted = re.search(r"INSERT INTO \w+ \(([^)]*)\)", sql)
    assert inserted is not None
    names = [n.strip() for n in inserted.group(1).split(",")]
    assert tuple(names[: len(columns)]) == columns
    assert f"${len(columns)}" in sql and f"${len(columns) + 1}" not in sql
