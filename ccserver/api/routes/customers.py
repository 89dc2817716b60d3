"""/api/v1/customers: CRUD, and `?phone=` lookup in any common format, matched on E.164."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response, status
from fastapi.exceptions import RequestValidationError

from ccserver.api.auth import AnyRole, CustomerWriter
from ccserver.api.deps import SessionDep, SettingsDep
from ccserver.api.etags import etag, expected_version, if_match_version
from ccserver.api.schemas.common import Page, problem_responses
from ccserver.api.schemas.customers import CustomerCreate, CustomerOut, CustomerUpdate
from ccserver.api.schemas.types import MAX_LIMIT, Cursor, PhoneText
from ccserver.crm import customers
from ccserver.crm.phones import to_e164

router = APIRouter(
    prefix="/api/v1/customers", tags=["customers"], responses=problem_responses(401, 403, 404, 422)
)

IfMatch = Annotated[int | None, Depends(if_match_version)]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size.")]


@router.post("", status_code=status.HTTP_201_CREATED, responses=problem_responses(409))
async def create_customer(
    body: CustomerCreate, session: SessionDep, settings: SettingsDep, _: CustomerWriter, response: Response
) -> CustomerOut:
    customer = await customers.create_customer(
        session=session, default_region=settings.default_region, **body.service_kwargs()
    )
    response.headers["ETag"] = etag(customer.version)
    response.headers["Location"] = f"{router.prefix}/{customer.id}"
    return CustomerOut.of(customer)


@router.get("")
async def list_customers(
    session: SessionDep,
    settings: SettingsDep,
    _: AnyRole,
    phone: Annotated[
        PhoneText | None, Query(description="Only customers with this phone, in any common format.")
    ] = None,
    limit: Limit = 50,
    cursor: Annotated[Cursor | None, Query(description="`next_cursor` of the previous page.")] = None,
) -> Page[CustomerOut]:
    e164 = None
    if phone is not None:
        e164 = to_e164(phone, default_region=settings.default_region)
        if e164 is None:
            raise RequestValidationError(
                [{"loc": ("query", "phone"), "msg": "not a phone number", "type": "value_error"}]
            )
    page = await customers.list_customers(session=session, limit=limit, cursor=cursor, e164=e164)
    return Page[CustomerOut](items=[CustomerOut.of(c) for c in page.items], next_cursor=page.next_cursor)


@router.get("/{customer_id}")
async def get_customer(customer_id: UUID, session: SessionDep, _: AnyRole, response: Response) -> CustomerOut:
    customer = await customers.get_customer(session=session, customer_id=customer_id)
    response.headers["ETag"] = etag(customer.version)
    return CustomerOut.of(customer)


@router.patch("/{customer_id}", responses=problem_responses(409, 412))
async def update_customer(
    customer_id: UUID,
    body: CustomerUpdate,
    session: SessionDep,
    settings: SettingsDep,
    _: CustomerWriter,
    if_match: IfMatch,
    response: Response,
) -> CustomerOut:
    customer = await customers.update_customer(
        session=session,
        customer_id=customer_id,
        changes=body.changes(),
        default_region=settings.default_region,
        expected_version=expected_version(if_match, body.version),
    )
    response.headers["ETag"] = etag(customer.version)
    return CustomerOut.of(customer)


@router.delete("/{customer_id}", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(412))
async def delete_customer(
    customer_id: UUID, session: SessionDep, _: CustomerWriter, if_match: IfMatch
) -> None:
    await customers.delete_customer(session=session, customer_id=customer_id, expected_version=if_match)
