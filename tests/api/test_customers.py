"""Customers over REST: create with contacts, read, page, update with optimistic concurrency, delete."""

from __future__ import annotations

import random
import uuid

import httpx

Headers = dict[str, str]


def a_number() -> str:
    """A San Francisco number no other test uses, in national format."""
    return f"415{random.randint(2, 9)}{random.randint(0, 999999):06d}"


def new_customer(**fields: object) -> dict[str, object]:
    return {"name": "Ada Lovelace", "phones": [{"number": a_number(), "label": "mobile"}], **fields}


async def test_created_customer_keeps_phones_in_e164_and_emails_in_order(
    api_client: httpx.AsyncClient, admin: Headers
) -> None:
    national = a_number()
    body = {
        "name": "  Ada Lovelace ",
        "account_number": f"ACME-{uuid.uuid4().hex[:8]}",
        "tier": "gold",
        "custom_fields": {"crm_ref": "A-17", "tags": ["vip"]},
        "phones": [{"number": f"({national[:3]}) {national[3:6]}-{national[6:]}", "label": "mobile"}],
        "emails": [{"address": "ada@example.com"}, {"address": "lovelace@example.org", "label": "home"}],
    }

    created = await api_client.post("/api/v1/customers", json=body, headers=admin)

    assert created.status_code == 201, created.text
    customer = created.json()
    assert created.headers["ETag"] == '"1"'
    assert created.headers["Location"] == f"/api/v1/customers/{customer['id']}"
    assert customer["name"] == "Ada Lovelace"
    assert customer["version"] == 1
    assert customer["tier"] == "gold" and customer["language"] == "en"
    assert customer["custom_fields"] == {"crm_ref": "A-17", "tags": ["vip"]}
    assert [(p["number"], p["e164"]) for p in customer["phones"]] == [
        (body["phones"][0]["number"], f"+1{national}")
    ]
    assert [e["address"] for e in customer["emails"]] == ["ada@example.com", "lovelace@example.org"]
    assert customer["email"] == "ada@example.com"

    fetched = await api_client.get(f"/api/v1/customers/{customer['id']}", headers=admin)
    assert fetched.status_code == 200
    assert fetched.json() == customer


async def test_unparseable_phone_is_a_422_naming_the_field(
    api_client: httpx.AsyncClient, admin: Headers
) -> None:
    body = {"name": "Bob", "phones": [{"number": a_number()}, {"number": "12"}]}

    response = await api_client.post("/api/v1/customers", json=body, headers=admin)

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"] == [
        {"loc": ["body", "phones", 1, "number"], "msg": "not a phone number: '12'", "type": "value_error"}
    ]


async def test_same_number_twice_in_two_formats_is_refused(
    api_client: httpx.AsyncClient, admin: Headers
) -> None:
    number = a_number()
    body = {"name": "Bob", "phones": [{"number": number}, {"number": f"+1 {number}"}]}

    response = await api_client.post("/api/v1/customers", json=body, headers=admin)

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "phones", 1, "number"]


async def test_account_number_is_unique(api_client: httpx.AsyncClient, admin: Headers) -> None:
    account = f"ACME-{uuid.uuid4().hex[:8]}"
    first = await api_client.post(
        "/api/v1/customers", json=new_customer(account_number=account), headers=admin
    )
    assert first.status_code == 201

    second = await api_client.post(
        "/api/v1/customers", json=new_customer(account_number=account), headers=admin
    )

    assert second.status_code == 409
    assert second.headers["content-type"] == "application/problem+json"


async def test_update_with_if_match_bumps_version_and_replaces_phones(
    api_client: httpx.AsyncClient, admin: Headers
) -> None:
    customer = (await api_client.post("/api/v1/customers", json=new_customer(), headers=admin)).json()
    new_number = a_number()

    response = await api_client.patch(
        f"/api/v1/customers/{customer['id']}",
        json={"tier": "platinum", "phones": [{"number": f"+1.{new_number}", "label": "work"}]},
        headers={**admin, "If-Match": '"1"'},
    )

    assert response.status_code == 200, response.text
    updated = response.json()
    assert response.headers["ETag"] == '"2"'
    assert updated["version"] == 2
    assert updated["tier"] == "platinum"
    assert updated["name"] == customer["name"]  # untouched
    assert [p["e164"] for p in updated["phones"]] == [f"+1{new_number}"]
    assert updated["updated_at"] >= customer["updated_at"]


async def test_stale_version_is_a_412_and_changes_nothing(
    api_client: httpx.AsyncClient, admin: Headers
) -> None:
    customer = (await api_client.post("/api/v1/customers", json=new_customer(), headers=admin)).json()
    url = f"/api/v1/customers/{customer['id']}"
    first = await api_client.patch(url, json={"tier": "gold", "version": 1}, headers=admin)
    assert first.status_code == 200

    # A second agent edits what they loaded before the first change.
    stale_body = await api_client.patch(url, json={"tier": "silver", "version": 1}, headers=admin)
    stale_header = await api_client.patch(
        url, json={"tier": "silver"}, headers={**admin, "If-Match": 'W/"1"'}
    )
    stale_delete = await api_client.delete(url, headers={**admin, "If-Match": '"1"'})

    for response in (stale_body, stale_header, stale_delete):
        assert response.status_code == 412, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["current_version"] == 2
    current = (await api_client.get(url, headers=admin)).json()
    assert (current["tier"], current["version"]) == ("gold", 2)


async def test_if_match_and_body_version_must_agree(api_client: httpx.AsyncClient, admin: Headers) -> None:
    customer = (await api_client.post("/api/v1/customers", json=new_customer(), headers=admin)).json()

    response = await api_client.patch(
        f"/api/v1/customers/{customer['id']}",
        json={"tier": "x", "version": 1},
        headers={**admin, "If-Match": '"2"'},
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["header", "if-match"]


async def test_patch_can_clear_account_number_but_not_name(
    api_client: httpx.AsyncClient, admin: Headers
) -> None:
    body = new_customer(account_number=f"ACME-{uuid.uuid4().hex[:8]}")
    customer = (await api_client.post("/api/v1/customers", json=body, headers=admin)).json()
    url = f"/api/v1/customers/{customer['id']}"

    cleared = await api_client.patch(url, json={"account_number": None}, headers=admin)
    nulled_name = await api_client.patch(url, json={"name": None}, headers=admin)

    assert cleared.status_code == 200 and cleared.json()["account_number"] is None
    assert nulled_name.status_code == 422
    assert nulled_name.json()["errors"][0]["loc"] == ["body", "name"]


async def test_delete_then_gone(api_client: httpx.AsyncClient, admin: Headers) -> None:
    customer = (await api_client.post("/api/v1/customers", json=new_customer(), headers=admin)).json()
    url = f"/api/v1/customers/{customer['id']}"

    deleted = await api_client.delete(url, headers=admin)

    assert deleted.status_code == 204
    for response in (
        await api_client.get(url, headers=admin),
        await api_client.patch(url, json={"tier": "x"}, headers=admin),
        await api_client.delete(url, headers=admin),
    ):
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"


async def test_list_pages_newest_first_without_gaps(api_client: httpx.AsyncClient, admin: Headers) -> None:
    made = [
        (await api_client.post("/api/v1/customers", json=new_customer(name=f"c{i}"), headers=admin)).json()[
            "id"
        ]
        for i in range(5)
    ]

    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await api_client.get("/api/v1/customers", params=params, headers=admin)).json()
        assert len(page["items"]) <= 2
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert len(seen) == len(set(seen))
    ours = [i for i in seen if i in made]
    assert ours == list(reversed(made))
