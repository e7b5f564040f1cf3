"""All SQL of the gateway's auth feature."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ..models import Client, SigningKey


async def get_client(session: AsyncSession, client_id: str) -> Client | None:
    found: Client | None = await session.scalar(select(Client).where(Client.client_id == client_id))
    return found


async def list_clients(session: AsyncSession) -> list[Client]:
    return list(await session.scalars(select(Client).order_by(Client.client_id)))


async def not_before_map(session: AsyncSession) -> dict[str, float]:
    """client_id → epoch seconds before which (inclusive) its tokens are void."""
    rows = await session.execute(
        select(Client.client_id, Client.tokens_not_before).where(Client.tokens_not_before.is_not(None))
    )
    return {cid: ts.timestamp() for cid, ts in rows}


async def revocations(session: AsyncSession) -> dict[str, float]:
    """What services need to refuse revoked tokens, and nothing that names a client: the opaque revocation id
    (the client's internal UUID, carried by its tokens as ``rid``) → epoch seconds before which (inclusive) its
    tokens are void."""
    rows = await session.execute(
        select(Client.id, Client.tokens_not_before).where(Client.tokens_not_before.is_not(None))
    )
    return {cid.hex: ts.timestamp() for cid, ts in rows}


async def active_key(session: AsyncSession) -> SigningKey | None:
    found: SigningKey | None = await session.scalar(
        select(SigningKey).where(SigningKey.retired_at.is_(None)).order_by(SigningKey.created_at.desc()).limit(1)
    )
    return found


async def published_keys(session: AsyncSession, retired_after: datetime) -> list[SigningKey]:
    """The active key and every retired key whose tokens may still be alive."""
    return list(
        await session.scalars(
            select(SigningKey)
            .where(or_(SigningKey.retired_at.is_(None), SigningKey.retired_at > retired_after))
            .order_by(SigningKey.created_at.desc())
        )
    )


async def retire_keys_except(session: AsyncSession, kid: str, at: datetime) -> None:
    await session.execute(
        update(SigningKey).where(SigningKey.kid != kid, SigningKey.retired_at.is_(None)).values(retired_at=at)
    )
