"""The SQLAlchemy async engine and sessions. Made by functions, passed down; never a module global."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool


def async_database_url(database_url: str) -> str:
    """Accept `postgresql://` too, and always drive it with asyncpg."""
    for scheme in ("postgresql://", "postgres://", "postgresql+psycopg2://", "postgresql+psycopg://"):
        if database_url.startswith(scheme):
            return "postgresql+asyncpg://" + database_url[len(scheme) :]
    return database_url


def create_engine(
    *, database_url: str, pooled: bool = True, pool_size: int = 10, max_overflow: int = 10
) -> AsyncEngine:
    """An asyncpg engine. `pooled=False` for one-shot commands (migrate, apikey create)."""
    url = async_database_url(database_url)
    if not pooled:
        return create_async_engine(url, poolclass=NullPool)
    return create_async_engine(url, pool_size=pool_size, max_overflow=max_overflow, pool_pre_ping=True)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
