"""API keys: `ccs_<prefix8>_<secret32>`. Only the prefix and a SHA-256 of the whole key are stored."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import secrets
import string
import sys
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from uuid import UUID

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, ProgrammingError
from sqlalchemy.ext.asyncio import AsyncSession

from ccserver.crm.database import create_engine, session_factory
from ccserver.crm.tables import api_keys

_KEY = re.compile(r"^ccs_([0-9a-f]{8})_([0-9A-Za-z]{32})$")
_SECRET_ALPHABET = string.ascii_letters + string.digits
# last_used_at is written at most this often per key, so reads do not turn into writes.
_TOUCH_EVERY = timedelta(minutes=1)


class Role(StrEnum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    AGENT = "agent"
    INTEGRATOR = "integrator"


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: UUID
    name: str
    role: Role
    prefix: str


def generate_key() -> tuple[str, str]:
    """(prefix, full key)."""
    prefix = secrets.token_hex(4)
    secret = "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(32))
    return prefix, f"ccs_{prefix}_{secret}"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


async def create_api_key(*, session: AsyncSession, role: Role, name: str) -> tuple[ApiKey, str]:
    """Store a new key and return it with its plain text, which is never shown again."""
    for _ in range(5):  # a prefix collision is a 1-in-4-billion event; retry rather than fail
        prefix, key = generate_key()
        stmt = insert(api_keys).values(name=name, role=role.value, prefix=prefix, key_hash=hash_key(key))
        try:
            key_id = (await session.execute(stmt.returning(api_keys.c.id))).scalar_one()
        except IntegrityError:
            await session.rollback()
            continue
        await session.commit()
        return ApiKey(id=key_id, name=name, role=role, prefix=prefix), key
    raise RuntimeError("could not find a free API key prefix")


async def authenticate(*, session: AsyncSession, key: str) -> ApiKey | None:
    """The live key matching `key`, or None. The hash comparison is constant-time."""
    match = _KEY.match(key)
    if match is None:
        return None
    query = select(api_keys).where(api_keys.c.prefix == match.group(1), api_keys.c.revoked_at.is_(None))
    row = (await session.execute(query)).mappings().first()
    if row is None or not hmac.compare_digest(row["key_hash"], hash_key(key)):
        return None
    touch = (
        update(api_keys)
        .where(api_keys.c.id == row["id"])
        .where(or_(api_keys.c.last_used_at.is_(None), api_keys.c.last_used_at < func.now() - _TOUCH_EVERY))
        .values(last_used_at=func.now())
    )
    if (await session.execute(touch)).rowcount:  # type: ignore[attr-defined]
        await session.commit()
    return ApiKey(id=row["id"], name=row["name"], role=Role(row["role"]), prefix=row["prefix"])


async def _create_with_url(*, database_url: str, role: Role, name: str) -> str:
    engine = create_engine(database_url=database_url, pooled=False)
    try:
        async with session_factory(engine)() as session:
            _, key = await create_api_key(session=session, role=role, name=name)
            return key
    finally:
        await engine.dispose()


def apikey_create_command(*, role: str, name: str) -> int:
    from ccserver.settings import Settings

    database_url = Settings().database_url
    shown = make_url(database_url).render_as_string(hide_password=True)
    try:
        key = asyncio.run(_create_with_url(database_url=database_url, role=Role(role), name=name))
    except ProgrammingError as exc:
        if "api_keys" in str(exc.orig):
            print(f"ccserver apikey create: {shown} is not migrated; run `ccserver migrate`", file=sys.stderr)
        else:
            print(f"ccserver apikey create: {exc.orig}", file=sys.stderr)
        return 1
    except (OSError, DBAPIError) as exc:
        reason = exc.orig if isinstance(exc, DBAPIError) else exc
        print(f"ccserver apikey create: cannot use the database at {shown}: {reason}", file=sys.stderr)
        print(
            "  (is PostgreSQL running, CCSERVER_DATABASE_URL right, `ccserver migrate` done?)",
            file=sys.stderr,
        )
        return 1
    print(key)
    print(f"({role} key {name!r}; store it now, it is not shown again)", file=sys.stderr)
    return 0
