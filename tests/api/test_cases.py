"""Cases over REST: agents and integrations open and work them from the desktop or a CRM, with notes,
filters, paging and optimistic concurrency."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from acd_factory import agent_key_headers, make_agent

Headers = dict[str, str]
HeadersFor = Callable[[str], Awaitable[Headers]]
CASES = "/api/v1/cases"


async def a_customer(client: httpx.AsyncClient, admin: Headers) -> str:
    response = await client.post("/api/v1/customers", json={"name": "Grace Hopper"}, headers=admin)
    assert response.status_code == 201, response.text
    customer_id: str = response.json()["id"]
    return customer_id


async def open_case(client: httpx.AsyncClient, headers: Headers, **fields: Any) -> dict[str, Any]:
    response = await client.post(CASES, json={"subject": "Charged twice", **fields}, headers=headers)
    assert response.status_code == 201, response.text
    case: dict[str, Any] = response.json()
    return case


async def test_agent_opens_a_case_from_a_call_signed_with_its_agent(
    api_client: httpx.AsyncClient, admin: Headers
) -> None:
    agent = await make_agent(api_client, admin)
    desk = await agent_key_headers(api_client, admin, agent["id"])
    customer_id, call_id = await a_customer(api_client, admin), str(uuid.uuid4())
    body = {
        "subject": "Invoice 1042 charged twice", "customer_id": customer_id, "call_id": call_id, "priority": 2,
        "sla_due_at": "2024-06-03T17:00:00", "note": "Refund promised.",
    }

    response = await api_client.post(CASES, json=body, headers=desk)

    assert response.status_code == 201, response.text
    case = response.json()
    assert response.headers["Location"] == f"{CASES}/{case['id']}"
    assert response.headers["ETag"] == '"1"'
    assert case["created_by"] == f"agent:{agent['id']}"
    assert (case["status"], case["resolved_at"], case["version"]) == ("open", None, 1)
    assert (case["customer_id"], case["call_id"], case["priority"]) == (customer_id, call_id, 2)
    assert case["sla_due_at"] == "2024-06-03T17:00:00Z"
    assert [(n["author"], n["body"]) for n in case["notes"]] == [(f"agent:{agent['id']}", "Refund promised.")]


async def test_case_lifecycle_stamps_resolved_at_and_reopening_clears_it(
    api_client: httpx.AsyncClient, headers_for: HeadersFor
) -> None:
    crm = await headers_for("integrator")
    case = await open_case(api_client, crm)
    url = f"{CASES}/{case['id']}"

    pending = await api_client.patch(url, json={"status": "pending"}, headers={**crm, "If-Match": '"1"'})
    resolved = await api_client.patch(url, json={"status": "resolved", "version": 2}, headers=crm)
    reopened = await api_client.patch(url, json={"status": "open"}, headers={**crm, "If-Match": '"3"'})

    assert pending.status_code == 200, pending.text
    assert (pending.json()["status"], pending.json()["resolved_at"]) == ("pending", None)
    assert resolved.json()["status"] == "resolved" and resolved.json()["resolved_at"] is not None
    assert resolved.headers["ETag"] == '"3"'
    assert (reopened.json()["status"], reopened.json()["resolved_at"], reopened.json()["version"]) == ("open", None, 4)
    fetched = await api_client.get(url, headers=crm)
    assert fetched.json()["status"] == "open" and fetched.headers["ETag"] == '"4"'
    assert case["created_by"] == "key:test integrator"


async def test_agent_updates_a_case_and_adds_notes(api_client: httpx.AsyncClient, admin: Headers) -> None:
    agent = await make_agent(api_client, admin)
    desk = await agent_key_headers(api_client, admin, agent["id"])
    case = await open_case(api_client, admin)
    url = f"{CASES}/{case['id']}"

    updated = await api_client.patch(url, json={"priority": 7, "subject": "Refund", "sla_due_at": None}, headers=desk)
    note = await api_client.post(f"{url}/notes", json={"body": "Called back.\nLeft a message."}, headers=desk)

    assert updated.status_code == 200, updated.text
    assert (updated.json()["priority"], updated.json()["subject"]) == (7, "Refund")
    assert note.status_code == 201, note.text
    assert note.json()["author"] == f"agent:{agent['id']}" and note.json()["body"] == "Called back.\nLeft a message."
    notes = (await api_client.get(url, headers=desk)).json()["notes"]
    assert [n["id"] for n in notes] == [note.json()["id"]]


async def test_stale_if_match_is_412_with_the_current_version(
    api_client: httpx.AsyncClient, admin: Headers
) -> None:
    case = await open_case(api_client, admin)
    url = f"{CASES}/{case['id']}"
    await api_client.patch(url, json={"priority": 1}, headers={**admin, "If-Match": '"1"'})

    stale = await api_client.patch(url, json={"priority": 2}, headers={**admin, "If-Match": '"1"'})

    assert stale.status_code == 412, stale.text
    assert stale.headers["content-type"] == "application/problem+json"
    assert stale.json()["current_version"] == 2
    assert (await api_client.get(url, headers=admin)).json()["priority"] == 1


@pytest.mark.parametrize(
    "body, loc",
    [
        ({"subject": "x", "status": "closed"}, ["body", "status"]),
        ({"subject": ""}, ["body", "subject"]),
        ({"subject": "x", "priority": 10}, ["body", "priority"]),
        ({"subject": "x", "customer_id": str(uuid.uuid4())}, ["body", "customer_id"]),
        ({"subject": "x", "sla_due_at": "soon"}, ["body", "sla_due_at"]),
        ({"subject": "x", "owner": "me"}, ["body", "owner"]),
    ],
)
async def test_bad_case_bodies_are_422_problems_naming_the_field(
    api_client: httpx.AsyncClient, admin: Headers, body: dict[str, Any], loc: list[str]
) -> None:
    response = await api_client.post(CASES, json=body, headers=admin)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert loc in [e["loc"] for e in response.json()["errors"]]


@pytest.mark.parametrize(
    "body, loc", [({"status": "closed"}, ["body", "status"]), ({"subject": None}, ["body", "subject"])]
)
async def test_bad_case_updates_are_422(
    api_client: httpx.AsyncClient, admin: Headers, body: dict[str, Any], loc: list[str]
) -> None:
    case = await open_case(api_client, admin)

    response = await api_client.patch(f"{CASES}/{case['id']}", json=body, headers=admin)

    assert response.status_code == 422, response.text
    assert loc in [e["loc"] for e in response.json()["errors"]]


async def test_unknown_case_is_404_everywhere(api_client: httpx.AsyncClient, admin: Headers) -> None:
    url = f"{CASES}/{uuid.uuid4()}"

    responses = [
        await api_client.get(url, headers=admin),
        await api_client.patch(url, json={"priority": 1}, headers=admin),
        await api_client.patch(url, json={"priority": 1}, headers={**admin, "If-Match": '"1"'}),
        await api_client.post(f"{url}/notes", json={"body": "hello"}, headers=admin),
    ]

    assert [r.status_code for r in responses] == [404] * 4
    assert all(r.headers["content-type"] == "application/problem+json" for r in responses)


async def test_cases_filter_by_customer_status_and_call_and_page(
    api_client: httpx.AsyncClient, admin: Headers
) -> None:
    customer_id, call_id = await a_customer(api_client, admin), str(uuid.uuid4())
    made = [
        (await open_case(api_client, admin, customer_id=customer_id, call_id=call_id if i < 2 else None))["id"]
        for i in range(5)
    ]
    await api_client.patch(f"{CASES}/{made[3]}", json={"status": "resolved"}, headers=admin)

    seen, cursor = [], None
    while True:
        params: dict[str, Any] = {"customer_id": customer_id, "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await api_client.get(CASES, params=params, headers=admin)).json()
        seen += [c["id"] for c in page["items"]]
        if (cursor := page["next_cursor"]) is None:
            break
    resolved = (await api_client.get(CASES, params={"customer_id": customer_id, "status": "resolved"}, headers=admin))
    from_call = (await api_client.get(CASES, params={"call_id": call_id}, headers=admin)).json()

    assert seen == made[::-1]
    assert [c["id"] for c in resolved.json()["items"]] == [made[3]]
    assert "notes" not in resolved.json()["items"][0]
    assert [c["id"] for c in from_call["items"]] == [made[1], made[0]]


async def test_bad_filters_are_422(api_client: httpx.AsyncClient, admin: Headers) -> None:
    for params in ({"status": "closed"}, {"customer_id": "nope"}, {"cursor": "not-a-cursor"}, {"limit": 0}):
        response = await api_client.get(CASES, params=params, headers=admin)
        assert response.status_code == 422, (params, response.text)


@pytest.mark.parametrize("role", ["admin", "supervisor", "agent", "integrator"])
async def test_every_role_works_cases(api_client: httpx.AsyncClient, headers_for: HeadersFor, role: str) -> None:
    headers = await headers_for(role)

    case = await open_case(api_client, headers)
    updated = await api_client.patch(f"{CASES}/{case['id']}", json={"status": "pending"}, headers=headers)
    listed = await api_client.get(CASES, params={"limit": 1}, headers=headers)

    assert (updated.status_code, listed.status_code) == (200, 200)
    assert case["created_by"] == f"key:test {role}"  # an agent key bound to no agent signs with its name


async def test_no_key_is_401(api_client: httpx.AsyncClient, admin: Headers) -> None:
    case = await open_case(api_client, admin)
    url = f"{CASES}/{case['id']}"

    responses = [
        await api_client.post(CASES, json={"subject": "x"}),
        await api_client.get(CASES),
        await api_client.get(url),
        await api_client.patch(url, json={"priority": 1}),
        await api_client.post(f"{url}/notes", json={"body": "x"}),
        await api_client.get(url, headers={"Authorization": "Bearer ccs_00000000_" + "x" * 32}),
    ]

    assert [r.status_code for r in responses] == [401] * 6
