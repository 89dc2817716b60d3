"""Bad input is a 422 problem naming the field — never a 500."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import httpx
import pytest

Headers = dict[str, str]
FOREIGN_CURSOR = base64.urlsafe_b64encode(b'{"not": "ours"}').decode()
OVERFLOW_CURSOR = base64.urlsafe_b64encode(
    b'["9999-12-31T23:59:59-14:00","6f9619ff-8b86-d011-b42d-00c04fc964ff"]'
).decode()
NAIVE_CURSOR = base64.urlsafe_b64encode(
    b'["2024-06-01T12:00:00","6f9619ff-8b86-d011-b42d-00c04fc964ff"]'
).decode()

CASES: list[tuple[str, str, str, dict[str, Any], list[str | int]]] = [
    # (id, method, url, request kwargs, loc of the first error)
    ("bad uuid in path", "GET", "/api/v1/customers/not-a-uuid", {}, ["path", "customer_id"]),
    ("bad call uuid", "GET", "/api/v1/calls/123", {}, ["path", "call_id"]),
    ("bad uuid for events", "GET", "/api/v1/calls/zz/events", {}, ["path", "call_id"]),
    ("bad uuid on patch", "PATCH", "/api/v1/customers/1", {"json": {}}, ["path", "customer_id"]),
    ("garbage cursor", "GET", "/api/v1/calls?cursor=%%%", {}, ["query", "cursor"]),
    ("foreign cursor", "GET", f"/api/v1/calls?cursor={FOREIGN_CURSOR}", {}, ["query", "cursor"]),
    ("naive cursor", "GET", f"/api/v1/calls?cursor={NAIVE_CURSOR}", {}, ["query", "cursor"]),
    ("cursor past year 9999", "GET", f"/api/v1/calls?cursor={OVERFLOW_CURSOR}", {}, ["query", "cursor"]),
    ("huge cursor", "GET", "/api/v1/customers?cursor=" + "W" * 5000, {}, ["query", "cursor"]),
    ("bad date", "GET", "/api/v1/calls?from=yesterday", {}, ["query", "from"]),
    ("bad month", "GET", "/api/v1/calls?to=2024-13-01T00:00:00", {}, ["query", "to"]),
    ("date past year 9999 in UTC", "GET", "/api/v1/calls?to=9999-12-31T23:00:00-14:00", {}, ["query", "to"]),
    (
        "to before from",
        "GET",
        "/api/v1/calls?from=2024-06-02T00:00:00Z&to=2024-06-01T00:00:00Z",
        {},
        ["query", "to"],
    ),
    ("limit zero", "GET", "/api/v1/calls?limit=0", {}, ["query", "limit"]),
    ("limit too big", "GET", "/api/v1/calls?limit=501", {}, ["query", "limit"]),
    ("limit enormous", "GET", "/api/v1/customers?limit=" + "9" * 40, {}, ["query", "limit"]),
    ("limit not a number", "GET", "/api/v1/calls?limit=ten", {}, ["query", "limit"]),
    ("after enormous", "GET", f"/api/v1/calls/{uuid.uuid4()}/events?after={2**63}", {}, ["query", "after"]),
    ("after negative", "GET", f"/api/v1/calls/{uuid.uuid4()}/events?after=-1", {}, ["query", "after"]),
    ("unknown direction", "GET", "/api/v1/calls?direction=sideways", {}, ["query", "direction"]),
    ("bad customer filter", "GET", "/api/v1/calls?customer_id=42", {}, ["query", "customer_id"]),
    ("nul in switch", "GET", "/api/v1/calls?switch_id=a%00b", {}, ["query", "switch_id"]),
    ("nul in phone", "GET", "/api/v1/customers?phone=%2B1415%005550100", {}, ["query", "phone"]),
    (
        "not json",
        "POST",
        "/api/v1/customers",
        {"content": b"{name: Ada", "headers": {"content-type": "application/json"}},
        ["body", 1],
    ),
    ("json array", "POST", "/api/v1/customers", {"json": [{"name": "Ada"}]}, ["body"]),
    ("no name", "POST", "/api/v1/customers", {"json": {}}, ["body", "name"]),
    ("blank name", "POST", "/api/v1/customers", {"json": {"name": "   "}}, ["body", "name"]),
    ("name a number", "POST", "/api/v1/customers", {"json": {"name": 42}}, ["body", "name"]),
    (
        "phones a string",
        "POST",
        "/api/v1/customers",
        {"json": {"name": "A", "phones": "415"}},
        ["body", "phones"],
    ),
    (
        "phone a number",
        "POST",
        "/api/v1/customers",
        {"json": {"name": "A", "phones": [4155550100]}},
        ["body", "phones", 0],
    ),
    (
        "bad email",
        "POST",
        "/api/v1/customers",
        {"json": {"name": "A", "emails": [{"address": "nope"}]}},
        ["body", "emails", 0, "address"],
    ),
    ("unknown field", "POST", "/api/v1/customers", {"json": {"name": "A", "nmae": "B"}}, ["body", "nmae"]),
    ("nul in name", "POST", "/api/v1/customers", {"json": {"name": "A\x00B"}}, ["body", "name"]),
    (
        "lone surrogate",
        "POST",
        "/api/v1/customers",
        {"content": b'{"name": "A\\ud800"}', "headers": {"content-type": "application/json"}},
        ["body", "name"],
    ),
    (
        "nul in custom key",
        "POST",
        "/api/v1/customers",
        {"json": {"name": "A", "custom_fields": {"k\x00": 1}}},
        ["body", "custom_fields"],
    ),
    (
        "NaN in custom fields",
        "POST",
        "/api/v1/customers",
        {
            "content": b'{"name": "A", "custom_fields": {"x": NaN}}',
            "headers": {"content-type": "application/json"},
        },
        ["body", "custom_fields"],
    ),
    (
        "custom not object",
        "POST",
        "/api/v1/customers",
        {"json": {"name": "A", "custom_fields": [1]}},
        ["body", "custom_fields"],
    ),
    (
        "huge custom",
        "POST",
        "/api/v1/customers",
        {"json": {"name": "A", "custom_fields": {"k": "x" * 20000}}},
        ["body", "custom_fields"],
    ),
    (
        "too many phones",
        "POST",
        "/api/v1/customers",
        {"json": {"name": "A", "phones": [{"number": "1"}] * 21}},
        ["body", "phones"],
    ),
    (
        "version zero",
        "PATCH",
        f"/api/v1/customers/{uuid.uuid4()}",
        {"json": {"version": 0}},
        ["body", "version"],
    ),
    (
        "version huge",
        "PATCH",
        f"/api/v1/customers/{uuid.uuid4()}",
        {"json": {"version": 2**40}},
        ["body", "version"],
    ),
    (
        "version a string",
        "PATCH",
        f"/api/v1/customers/{uuid.uuid4()}",
        {"json": {"version": "three"}},
        ["body", "version"],
    ),
    (
        "if-match garbage",
        "PATCH",
        f"/api/v1/customers/{uuid.uuid4()}",
        {"json": {}, "headers": {"If-Match": "abc"}},
        ["header", "if-match"],
    ),
    (
        "if-match huge",
        "DELETE",
        f"/api/v1/customers/{uuid.uuid4()}",
        {"headers": {"If-Match": '"99999999999"'}},
        ["header", "if-match"],
    ),
]


@pytest.mark.parametrize(
    ("method", "url", "kwargs", "loc"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
async def test_bad_input_is_a_422_problem_naming_the_field(
    api_client: httpx.AsyncClient,
    admin: Headers,
    method: str,
    url: str,
    kwargs: dict[str, Any],
    loc: list[str | int],
) -> None:
    headers = {**admin, **kwargs.pop("headers", {})}

    response = await api_client.request(method, url, headers=headers, **kwargs)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 422 and problem["title"] and problem["instance"] == response.request.url.path
    assert loc in [e["loc"] for e in problem["errors"]], problem["errors"]
    assert all(isinstance(e["msg"], str) and e["msg"] for e in problem["errors"])


async def test_unknown_route_and_method_are_problems_too(
    api_client: httpx.AsyncClient, admin: Headers
) -> None:
    missing = await api_client.get("/api/v1/nothing-here", headers=admin)
    wrong_method = await api_client.put("/api/v1/calls", headers=admin)

    assert (missing.status_code, wrong_method.status_code) == (404, 405)
    for response in (missing, wrong_method):
        assert response.headers["content-type"] == "application/problem+json"
