"""Disposition codes and call dispositions over REST: supervisors keep the list, an agent's desktop sets
its own call's disposition (again replaces it), and everyone reads them."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from acd_factory import a_name, agent_key_headers, make_agent
from calls_factory import Journal

Headers = dict[str, str]
HeadersFor = Callable[[str], Awaitable[Headers]]
CODES = "/api/v1/dispositions"


def disposition_url(call_id: object) -> str:
    return f"/api/v1/calls/{call_id}/disposition"


async def a_code(client: httpx.AsyncClient, admin: Headers, **fields: Any) -> str:
    code = a_name("sold")
    response = await client.post(CODES, json={"code": code, "label": "Sold", **fields}, headers=admin)
    assert response.status_code == 201, response.text
    return code


async def test_every_role_reads_the_shipped_codes(api_client: httpx.AsyncClient, headers_for: HeadersFor) -> None:
    for role in ("admin", "supervisor", "agent", "integrator"):
        response = await api_client.get(CODES, headers=await headers_for(role))

        assert response.status_code == 200, response.text
        codes = {d["code"]: d for d in response.json()}
        assert {"resolved", "follow_up", "escalated", "callback_requested", "wrong_number",
                "no_answer_voicemail"} <= set(codes)
        assert codes["resolved"]["resolves"] is True and codes["escalated"]["resolves"] is False


async def test_supervisor_creates_a_code_and_a_duplicate_is_409(
    api_client: httpx.AsyncClient, headers_for: HeadersFor
) -> None:
    supervisor = await headers_for("supervisor")
    code = a_name("sold")

    created = await api_client.post(CODES, json={"code": code, "label": "Sold", "resolves": True}, headers=supervisor)
    again = await api_client.post(CODES, json={"code": code, "label": "Sold"}, headers=supervisor)

    assert created.status_code == 201, created.text
    assert created.headers["Location"] == f"{CODES}/{code}"
    assert (created.json()["label"], created.json()["resolves"], created.json()["active"]) == ("Sold", True, True)
    assert again.status_code == 409 and again.headers["content-type"] == "application/problem+json"


async def test_put_creates_then_replaces_and_a_retired_code_is_hidden_from_active_only(
    api_client: httpx.AsyncClient, admin: Headers
) -> None:
    code = a_name("upsell")

    created = await api_client.put(f"{CODES}/{code}", json={"label": "Upsell"}, headers=admin)
    retired = await api_client.put(f"{CODES}/{code}", json={"label": "Upsell (old)", "active": False}, headers=admin)

    assert created.status_code == 201, created.text
    assert retired.status_code == 200, retired.text
    assert (retired.json()["label"], retired.json()["active"]) == ("Upsell (old)", False)
    active = {d["code"] for d in (await api_client.get(CODES, params={"active_only": "true"}, headers=admin)).json()}
    every = {d["code"] for d in (await api_client.get(CODES, headers=admin)).json()}
    assert code in every and code not in active


@pytest.mark.parametrize("role", ["agent", "integrator"])
async def test_agents_and_integrators_may_not_write_codes(
    api_client: httpx.AsyncClient, headers_for: HeadersFor, role: str
) -> None:
    headers = await headers_for(role)
    code = a_name("mine")

    posted = await api_client.post(CODES, json={"code": code, "label": "Mine"}, headers=headers)
    put = await api_client.put(f"{CODES}/{code}", json={"label": "Mine"}, headers=headers)

    assert (posted.status_code, put.status_code) == (403, 403)


@pytest.mark.parametrize(
    "body, loc",
    [
        ({"code": "has space", "label": "x"}, ["body", "code"]),
        ({"code": "ok", "label": ""}, ["body", "label"]),
        ({"code": "ok"}, ["body", "label"]),
        ({"code": "ok", "label": "x", "colour": "red"}, ["body", "colour"]),
    ],
)
async def test_bad_codes_are_422(
    api_client: httpx.AsyncClient, admin: Headers, body: dict[str, Any], loc: list[str]
) -> None:
    response = await api_client.post(CODES, json=body, headers=admin)

    assert response.status_code == 422, response.text
    assert loc in [e["loc"] for e in response.json()["errors"]]


async def test_put_with_a_bad_code_in_the_path_is_422(api_client: httpx.AsyncClient, admin: Headers) -> None:
    response = await api_client.put(f"{CODES}/b%20d", json={"label": "x"}, headers=admin)

    assert response.status_code == 422, response.text
    assert ["path", "code"] in [e["loc"] for e in response.json()["errors"]]


async def test_agent_sets_its_calls_disposition_and_setting_again_replaces_it(
    api_client: httpx.AsyncClient, admin: Headers, journal: Journal
) -> None:
    agent = await make_agent(api_client, admin)
    desk = await agent_key_headers(api_client, admin, agent["id"])
    call_id = await journal.call()

    first = await api_client.post(
        disposition_url(call_id), json={"code": "follow_up", "notes": "Send the invoice."}, headers=desk
    )
    second = await api_client.post(disposition_url(call_id), json={"code": "resolved"}, headers=desk)
    listed = await api_client.get(f"/api/v1/calls/{call_id}/dispositions", headers=desk)

    assert first.status_code == 201, first.text
    assert (first.json()["agent_id"], first.json()["code"], first.json()["notes"]) == (
        agent["id"], "follow_up", "Send the invoice."
    )
    assert second.status_code == 200, second.text
    assert second.json()["id"] == first.json()["id"]
    assert [(d["agent_id"], d["code"], d["label"], d["resolves"], d["notes"]) for d in listed.json()] == [
        (agent["id"], "resolved", "Resolved", True, None)
    ]


async def test_supervisor_records_a_disposition_for_an_agent_or_for_the_call(
    api_client: httpx.AsyncClient, admin: Headers, headers_for: HeadersFor
) -> None:
    supervisor = await headers_for("supervisor")
    agent = await make_agent(api_client, admin)
    call_id = uuid.uuid4()  # not journaled yet: the desktop may be faster than the switch's events

    for_agent = await api_client.post(
        disposition_url(call_id), json={"code": "escalated", "agent_id": agent["id"]}, headers=supervisor
    )
    for_call = await api_client.post(disposition_url(call_id), json={"code": "wrong_number"}, headers=supervisor)
    listed = (await api_client.get(f"/api/v1/calls/{call_id}/dispositions", headers=supervisor)).json()

    assert (for_agent.status_code, for_call.status_code) == (201, 201)
    assert [(d["agent_id"], d["code"]) for d in listed] == [(agent["id"], "escalated"), (None, "wrong_number")]


async def test_an_agent_key_acts_only_for_its_own_agent(
    api_client: httpx.AsyncClient, admin: Headers, headers_for: HeadersFor
) -> None:
    mine, theirs = await make_agent(api_client, admin), await make_agent(api_client, admin)
    desk = await agent_key_headers(api_client, admin, mine["id"])
    call_id = uuid.uuid4()

    for_other = await api_client.post(
        disposition_url(call_id), json={"code": "resolved", "agent_id": theirs["id"]}, headers=desk
    )
    unbound_key = await headers_for("agent")  # made with `ccserver apikey create --role agent`: no agent
    unbound = await api_client.post(disposition_url(call_id), json={"code": "resolved"}, headers=unbound_key)
    own_named = await api_client.post(
        disposition_url(call_id), json={"code": "resolved", "agent_id": mine["id"]}, headers=desk
    )

    assert (for_other.status_code, unbound.status_code, own_named.status_code) == (403, 403, 201)


async def test_integrators_read_but_do_not_set_call_dispositions(
    api_client: httpx.AsyncClient, headers_for: HeadersFor
) -> None:
    crm, call_id = await headers_for("integrator"), uuid.uuid4()
    await api_client.post(disposition_url(call_id), json={"code": "resolved"}, headers=await headers_for("admin"))

    posted = await api_client.post(disposition_url(call_id), json={"code": "resolved"}, headers=crm)
    read = await api_client.get(f"/api/v1/calls/{call_id}/dispositions", headers=crm)

    assert (posted.status_code, read.status_code) == (403, 200)


async def test_unknown_or_retired_code_is_422_and_nothing_is_stored(
    api_client: httpx.AsyncClient, admin: Headers
) -> None:
    retired = await a_code(api_client, admin, active=False)
    call_id = uuid.uuid4()

    for body in ({"code": "no-such-code"}, {"code": retired}, {"code": "bad code"}):
        response = await api_client.post(disposition_url(call_id), json=body, headers=admin)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert ["body", "code"] in [e["loc"] for e in response.json()["errors"]]
    unknown_agent = await api_client.post(
        disposition_url(call_id), json={"code": "resolved", "agent_id": str(uuid.uuid4())}, headers=admin
    )
    assert unknown_agent.status_code == 422
    assert (await api_client.get(f"/api/v1/calls/{call_id}/dispositions", headers=admin)).status_code == 404


async def test_dispositions_of_an_unknown_call_are_404(api_client: httpx.AsyncClient, admin: Headers) -> None:
    response = await api_client.get(f"/api/v1/calls/{uuid.uuid4()}/dispositions", headers=admin)

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_no_key_is_401(api_client: httpx.AsyncClient) -> None:
    call_id = uuid.uuid4()
    responses = [
        await api_client.get(CODES),
        await api_client.post(CODES, json={"code": "x", "label": "x"}),
        await api_client.put(f"{CODES}/x", json={"label": "x"}),
        await api_client.post(disposition_url(call_id), json={"code": "resolved"}),
        await api_client.get(f"/api/v1/calls/{call_id}/dispositions"),
    ]

    assert [r.status_code for r in responses] == [401] * 5
