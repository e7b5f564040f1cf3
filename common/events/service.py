"""Everything a service needs for events, in one object: catalogue, tables, inbox, canary routes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from . import canary
from .envelope import Catalogue, Event, new_event
from .inbox import Inbox
from .outbox import publish, publish_many, publish_sql
from .tables import EventTables


class ServiceEvents:
    def __init__(self, service: str, tables: EventTables) -> None:
        self.service = service
        self.tables = tables
        self.catalogue = Catalogue(service)
        self.inbox = Inbox(tables)
        self.canary_router = canary.install(service, self.catalogue, tables, self.inbox)

    async def publish(self, session: AsyncSession, type_: str, subject: str, data: BaseModel) -> Event:
        """Add a catalogued event to the outbox in ``session``'s transaction."""
        return await publish(session, self.tables, self.catalogue.event(type_, subject, data))

    async def publish_many(self, session: AsyncSession, type_: str, items: Iterable[tuple[str, BaseModel]]) -> int:
        """Add many catalogued events of one type, ``(subject, data)`` each, in one statement (bulk paths)."""
        model = self.catalogue.types.get(type_)
        # Data already of the catalogued model needs no second validation (it is the per-event cost here).
        return await publish_many(
            session,
            self.tables,
            [
                new_event(self.catalogue.source, type_, s, d)
                if model is not None and type(d) is model
                else self.catalogue.event(type_, s, d)
                for s, d in items
            ],
        )

    def publish_sql(
        self, type_: str, rows: str, *, one_per_subject: bool = False, new_subjects: bool = False
    ) -> tuple[str, dict[str, Any]]:
        """SQL that publishes one catalogued event per row of ``rows`` with envelopes built by PostgreSQL (see
        :func:`.outbox.publish_sql`)."""
        if type_ not in self.catalogue.types:
            raise ValueError(f"{type_!r} is not in the {self.service} catalogue")
        return publish_sql(
            self.tables,
            self.catalogue.source,
            type_,
            rows,
            one_per_subject=one_per_subject,
            new_subjects=new_subjects,
        )

    def describe(self) -> list[dict[str, Any]]:
        """The catalogue as data (for docs/events.md)."""
        return [
            {
                "type": t,
                "source": self.catalogue.source,
                "doc": (m.__doc__ or "").strip(),
                "schema": m.model_json_schema(),
            }
            for t, m in sorted(self.catalogue.types.items())
        ]
