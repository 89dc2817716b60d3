"""Agents over REST: CRUD with skills, and each change reaching the switch as PJSIP endpoints."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from acd_factory import RecordingSwitches, agent_key_headers, an_extension, make_agent, make_skill
from sqlalchemy.ext.asyncio import AsyncEngine

from ccserver.api.app import create_app
from ccserver.asterisk.pjsip_agents import AgentProvisioner
from ccserver.settings import Settings

Headers = dict[str, str]
HeadersFor = Callable[[str], Awaitable[Headers]]


@pytest.fixture
def switches() -> RecordingSwitches:
    return RecordingSwitches()


@pytest.fixture
def conf_dir(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture
async def acd_client(
    test_settings: Settings, db_engine: AsyncEngine, conf_dir: Path, switches: RecordingSwitches
) -> AsyncIterator[httpx.AsyncClient]:
    """Like `api_client`, with an agent provisioner writing `<conf_dir>/pjsip_agents.conf`."""
    app = create_app(settings=test_settings, engine=db_engine, provisioner=AgentProvisioner(conf_dir, switches))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ccserver.test") as client:
        yield client


def pjsip_file(conf_dir: Path) -> str:
    return (conf_dir / "pjsip_agents.conf").read_text()


async def test_created_agent_gets_a_pjsip_endpoint_and_the_switch_reloads(
    acd_client: httpx.AsyncClient, admin: Headers, conf_dir: Path, switches: RecordingSwitches
) -> None:
    billing = await make_skill(acd_client, admin, "billing")
    extension = an_extension()
    body = {
        "extension": extension, "name": "Ada Lovelace", "sip_password": "correct-horse",
        "skills": {billing: 7, "lang:es": 4},
    }
    await make_skill_named(acd_client, admin, "lang:es")

    response = await acd_client.post("/api/v1/agents", json=body, headers=admin)

    assert response.status_code == 201, response.text
    agent = response.json()
    assert response.headers["Location"] == f"/api/v1/agents/{agent['id']}"
    assert response.headers["ETag"] == '"1"'
    assert agent["skills"] == {billing: 7, "lang:es": 4}
    assert agent["state"]["state"] == "logged_out" and agent["active"] is True
    assert "sip_password" not in agent and "sip_ha1" not in agent
    assert agent["provisioning"]["status"] == "applied"
    assert switches.reloads == [("pbx1", "res_pjsip.so")]
    ha1 = hashlib.md5(f"{extension}:asterisk:correct-horse".encode()).hexdigest()
    conf = pjsip_file(conf_dir)
    assert f"[{extension}](agent-endpoint)\naors = {extension}\nauth = {extension}\n" in conf
    assert f"[{extension}](agent-auth)\nauth_type = digest\nusername = {extension}\n" in conf
    assert f"password_digest = MD5:{ha1}" in conf
    assert "correct-horse" not in conf


async def make_skill_named(client: httpx.AsyncClient, headers: Headers, name: str) -> None:
    response = await client.post("/api/v1/skills", json={"name": name}, headers=headers)
    assert response.status_code in (201, 409), response.text


async def test_without_a_provisioner_the_agent_is_saved_and_the_response_says_so(
    api_client: httpx.AsyncClient, admin: Headers
) -> None:
    agent = await make_agent(api_client, admin)

    assert agent["provisioning"]["status"] == "skipped"
    assert (await api_client.get(f"/api/v1/agents/{agent['id']}", headers=admin)).status_code == 200


async def test_a_new_password_rewrites_the_digest_and_a_new_extension_needs_one(
    acd_client: httpx.AsyncClient, admin: Headers, conf_dir: Path
) -> None:
    agent = await make_agent(acd_client, admin)
    url = f"/api/v1/agents/{agent['id']}"
    new_extension = an_extension()

    no_password = await acd_client.patch(url, json={"extension": new_extension}, headers=admin)
    moved = await acd_client.patch(
        url, json={"extension": new_extension, "sip_password": "battery-staple"}, headers={**admin, "If-Match": '"1"'}
    )

    assert no_password.status_code == 422
    assert no_password.json()["errors"][0]["loc"] == ["body", "sip_password"]
    assert moved.status_code == 200, moved.text
    assert moved.json()["extension"] == new_extension and moved.json()["version"] == 2
    conf = pjsip_file(conf_dir)
    assert f"[{agent['extension']}]" not in conf
    assert hashlib.md5(f"{new_extension}:asterisk:battery-staple".encode()).hexdigest() in conf


async def test_deactivated_or_deleted_agents_lose_their_endpoint(
    acd_client: httpx.AsyncClient, admin: Headers, conf_dir: Path
) -> None:
    kept, paused, gone = [await make_agent(acd_client, admin) for _ in range(3)]

    paused_response = await acd_client.patch(f"/api/v1/agents/{paused['id']}", json={"active": False}, headers=admin)
    deleted = await acd_client.delete(f"/api/v1/agents/{gone['id']}", headers=admin)

    assert paused_response.status_code == 200 and paused_response.json()["active"] is False
    assert deleted.status_code == 204
    conf = pjsip_file(conf_dir)
    assert f"[{kept['extension']}](agent-endpoint)" in conf
    assert f"[{paused['extension']}]" not in conf and f"[{gone['extension']}]" not in conf
    assert (await acd_client.get(f"/api/v1/agents/{gone['id']}", headers=admin)).status_code == 404


async def test_a_logged_in_agent_is_neither_deleted_nor_deactivated(
    acd_client: httpx.AsyncClient, admin: Headers
) -> None:
    agent = await make_agent(acd_client, admin)
    url = f"/api/v1/agents/{agent['id']}"
    assert (await acd_client.post(f"{url}/state", json={"state": "ready"}, headers=admin)).status_code == 200

    deleted = await acd_client.delete(url, headers=admin)
    deactivated = await acd_client.patch(url, json={"active": False}, headers=admin)

    assert deleted.status_code == 409 and deactivated.status_code == 409
    assert "log it out" in deleted.json()["detail"]


async def test_extension_is_unique(acd_client: httpx.AsyncClient, admin: Headers) -> None:
    agent = await make_agent(acd_client, admin)

    again = await acd_client.post(
        "/api/v1/agents", json={"extension": agent["extension"], "name": "Bob", "sip_password": "12345678"},
        headers=admin,
    )

    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"extension": "10a1"}, ["body", "extension"]),
        ({"sip_password": "short"}, ["body", "sip_password"]),
        ({"skills": {"billing": 11}}, ["body", "skills", "billing"]),
        ({"max_concurrent": 0}, ["body", "max_concurrent"]),
        ({"name": "tab\there"}, ["body", "name"]),
        ({"colour": "red"}, ["body", "colour"]),
    ],
)
async def test_bad_agent_fields_are_422_naming_the_field(
    acd_client: httpx.AsyncClient, admin: Headers, body: dict[str, object], loc: list[str]
) -> None:
    full = {"extension": an_extension(), "name": "Ada", "sip_password": "correct-horse", **body}

    response = await acd_client.post("/api/v1/agents", json=full, headers=admin)

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == loc


async def test_unknown_skill_is_refused_naming_it(acd_client: httpx.AsyncClient, admin: Headers) -> None:
    response = await acd_client.post(
        "/api/v1/agents",
        json={"extension": an_extension(), "name": "Ada", "sip_password": "correct-horse", "skills": {"nosuch": 3}},
        headers=admin,
    )

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"loc": ["body", "skills", "nosuch"], "msg": "unknown skill 'nosuch'", "type": "value_error"}
    ]


async def test_put_skills_replaces_the_set_and_bumps_the_version(acd_client: httpx.AsyncClient, admin: Headers) -> None:
    old, new = await make_skill(acd_client, admin), await make_skill(acd_client, admin)
    agent = await make_agent(acd_client, admin, skills={old: 5})

    response = await acd_client.put(f"/api/v1/agents/{agent['id']}/skills", json={"skills": {new: 9}}, headers=admin)
    stale = await acd_client.put(
        f"/api/v1/agents/{agent['id']}/skills", json={"skills": {}}, headers={**admin, "If-Match": '"1"'}
    )

    assert response.status_code == 200, response.text
    assert response.json()["skills"] == {new: 9} and response.headers["ETag"] == '"2"'
    assert stale.status_code == 412 and stale.json()["current_version"] == 2


async def test_skill_filter_keeps_agents_at_the_level_asked(acd_client: httpx.AsyncClient, admin: Headers) -> None:
    skill = await make_skill(acd_client, admin)
    expert = await make_agent(acd_client, admin, skills={skill: 9})
    novice = await make_agent(acd_client, admin, skills={skill: 2})
    await make_agent(acd_client, admin)

    any_level = (await acd_client.get("/api/v1/agents", params={"skill": skill}, headers=admin)).json()
    experts = (await acd_client.get("/api/v1/agents", params={"skill": skill, "min_level": 5}, headers=admin)).json()

    assert {a["id"] for a in any_level["items"]} == {expert["id"], novice["id"]}
    assert [a["id"] for a in experts["items"]] == [expert["id"]]


async def test_list_pages_without_gaps(acd_client: httpx.AsyncClient, admin: Headers) -> None:
    skill = await make_skill(acd_client, admin)
    made = {(await make_agent(acd_client, admin, skills={skill: 1}))["id"] for _ in range(5)}

    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"skill": skill, "limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await acd_client.get("/api/v1/agents", params=params, headers=admin)).json()
        seen += [a["id"] for a in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert sorted(seen) == sorted(made)


async def test_who_may_do_what_with_agents(
    acd_client: httpx.AsyncClient, admin: Headers, headers_for: HeadersFor
) -> None:
    supervisor, integrator, agent_role = [await headers_for(r) for r in ("supervisor", "integrator", "agent")]
    me, other = await make_agent(acd_client, supervisor), await make_agent(acd_client, admin)
    my_key = await agent_key_headers(acd_client, admin, me["id"])
    body = {"extension": an_extension(), "name": "X", "sip_password": "correct-horse"}

    assert (await acd_client.post("/api/v1/agents", json=body, headers=integrator)).status_code == 403
    assert (await acd_client.post("/api/v1/agents", json=body, headers=my_key)).status_code == 403
    assert (await acd_client.get("/api/v1/agents", headers=integrator)).status_code == 200
    assert (await acd_client.get("/api/v1/agents", headers=my_key)).status_code == 403
    assert (await acd_client.get(f"/api/v1/agents/{other['id']}", headers=integrator)).status_code == 200
    assert (await acd_client.get(f"/api/v1/agents/{me['id']}", headers=my_key)).status_code == 200
    assert (await acd_client.get(f"/api/v1/agents/{other['id']}", headers=my_key)).status_code == 403
    assert (await acd_client.get(f"/api/v1/agents/{me['id']}", headers=agent_role)).status_code == 403  # unbound
    renamed = await acd_client.patch(f"/api/v1/agents/{me['id']}", json={"name": "Me"}, headers=my_key)
    assert renamed.status_code == 403
    assert (await acd_client.delete(f"/api/v1/agents/{other['id']}", headers=integrator)).status_code == 403
    keys_url = f"/api/v1/agents/{me['id']}/api-keys"
    assert (await acd_client.post(keys_url, json={"name": "x"}, headers=supervisor)).status_code == 403


async def test_an_agent_key_dies_with_its_agent(acd_client: httpx.AsyncClient, admin: Headers) -> None:
    agent = await make_agent(acd_client, admin)
    key = await agent_key_headers(acd_client, admin, agent["id"])
    assert (await acd_client.delete(f"/api/v1/agents/{agent['id']}", headers=admin)).status_code == 204

    response = await acd_client.get(f"/api/v1/agents/{agent['id']}", headers=key)

    assert response.status_code == 403  # the key is still an agent key, bound to no agent now
