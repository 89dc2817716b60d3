"""A caller-id in whatever shape it arrives finds the customer, matched on E.164."""

from __future__ import annotations

import random

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from ccserver.crm.customers import find_by_phone
from ccserver.crm.database import session_factory

Headers = dict[str, str]


@pytest.fixture
async def stored(api_client: httpx.AsyncClient, admin: Headers) -> tuple[str, str]:
    """(customer id, the 10-digit national number it was stored with)."""
    national = f"212{random.randint(2, 9)}{random.randint(0, 999999):06d}"
    body = {"name": "Grace Hopper", "phones": [{"number": f"{national[:3]}.{national[3:6]}.{national[6:]}"}]}
    response = await api_client.post("/api/v1/customers", json=body, headers=admin)
    assert response.status_code == 201
    return response.json()["id"], national


@pytest.mark.parametrize(
    "render",
    [
        lambda n: f"+1{n}",
        lambda n: f"+1 ({n[:3]}) {n[3:6]}-{n[6:]}",
        lambda n: f"{n[:3]}.{n[3:6]}.{n[6:]}",
        lambda n: n,
        lambda n: f"1-{n[:3]}-{n[3:6]}-{n[6:]}",
        lambda n: f"001 {n[:3]} {n[3:6]} {n[6:]}",
        lambda n: f"tel:+1-{n[:3]}-{n[3:6]}-{n[6:]}",
    ],
    ids=["e164", "international", "dots", "national digits", "dashes", "00 prefix", "rfc3966"],
)
async def test_lookup_finds_the_customer_in_any_format(
    api_client: httpx.AsyncClient, admin: Headers, stored: tuple[str, str], render: object
) -> None:
    customer_id, national = stored
    phone = render(national)  # type: ignore[operator]

    response = await api_client.get("/api/v1/customers", params={"phone": phone}, headers=admin)

    assert response.status_code == 200, response.text
    assert [c["id"] for c in response.json()["items"]] == [customer_id]


async def test_unencoded_plus_in_the_query_string_still_matches(
    api_client: httpx.AsyncClient, admin: Headers, stored: tuple[str, str]
) -> None:
    customer_id, national = stored

    # A literal "+" in a query string decodes to a space: " 1212..." must still be found.
    response = await api_client.get(f"/api/v1/customers?phone=+1{national}", headers=admin)

    assert [c["id"] for c in response.json()["items"]] == [customer_id]


async def test_lookup_of_an_unknown_number_is_empty(api_client: httpx.AsyncClient, admin: Headers) -> None:
    response = await api_client.get("/api/v1/customers", params={"phone": "+44 20 7946 0000"}, headers=admin)

    assert response.status_code == 200
    assert response.json() == {"items": [], "next_cursor": None}


async def test_lookup_of_something_that_is_not_a_number_is_a_422(
    api_client: httpx.AsyncClient, admin: Headers
) -> None:
    response = await api_client.get("/api/v1/customers", params={"phone": "anonymous"}, headers=admin)

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", "phone"]


async def test_find_by_phone_service_for_the_screen_pop(
    db_engine: AsyncEngine, stored: tuple[str, str]
) -> None:
    customer_id, national = stored
    async with session_factory(db_engine)() as session:
        found = await find_by_phone(session=session, phone=f"+1 {national}", default_region="GB")
        not_a_number = await find_by_phone(session=session, phone="anonymous", default_region="US")

    assert [str(c.id) for c in found] == [customer_id]
    assert not_a_number == []
