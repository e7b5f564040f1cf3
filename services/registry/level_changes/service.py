"""The level-changes job: publish ``registry.beneficiary.level_changed.v1`` for every age-driven change effective
in a month, once per beneficiary and month. Never commits.

Set-based: the parameters once; candidates pre-selected in SQL by birth date (only the birth months and years whose
age can cross a rule's boundary this month, :func:`..rules.level_changes.candidate_birth_ranges`) and by "not yet
published", in chunks (keyset on id) with their decisions, residence and household status in one query each; the
pure rule per candidate; the chunk's changes claimed in ``level_changes`` in one ``INSERT … ON CONFLICT DO
NOTHING``; an event only for the rows claimed. A transaction-scoped advisory lock makes concurrent runs queue.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from common.events.outbox import publish

from .. import facts
from ..events import BENEFICIARY_LEVEL_CHANGED, EVENTS, BeneficiaryLevelChanged, LevelLine
from ..models import BeneficiaryRow, Person
from ..rules.entitlements import MonthEntitlement
from ..rules.level_changes import LevelChange, age_driven_change, candidate_birth_ranges
from ..rules.months import Month
from ..rules.parameters import Parameters
from ..rules.person import age_in_month
from . import repository

CHUNK = 1000
"""Candidates loaded per round trip."""


def _lines(e: MonthEntitlement) -> list[LevelLine]:
    return [LevelLine(category=line.category, coefficient=str(line.coefficient)) for line in e.lines]


def event_data(
    row: BeneficiaryRow, person: Person, change: LevelChange, poverty_status: str | None
) -> BeneficiaryLevelChanged:
    after, before = _lines(change.after), _lines(change.before)
    return BeneficiaryLevelChanged(
        beneficiary_id=row.id,
        person_id=person.id,
        effective_month=str(change.month),
        date_of_birth=person.date_of_birth,
        age=age_in_month(person.date_of_birth, change.month),
        category=after[0].category if after else None,
        coefficient=after[0].coefficient if after else None,
        previous_category=before[0].category if before else None,
        previous_coefficient=before[0].coefficient if before else None,
        lines=after,
        previous_lines=before,
        reason=change.after.reason.value if change.after.reason else None,
        poverty_status=poverty_status,
        commune_code=person.commune_code,
        district_code=person.district_code,
        province_code=person.province_code,
    )


async def run(
    session: AsyncSession, parameters: Parameters, on: date, *, chunk: int = CHUNK
) -> list[tuple[uuid.UUID, BeneficiaryLevelChanged]]:
    """Publish the age-driven changes effective in the month of ``on`` not published yet; (event id, data) of
    each event published, in beneficiary id order."""
    month = Month.of(on)
    await repository.lock(session)
    ranges = candidate_birth_ranges(parameters, month)
    published: list[tuple[uuid.UUID, BeneficiaryLevelChanged]] = []
    after: uuid.UUID | None = None
    while True:
        rows = await repository.candidates(
            session, birth_ranges=ranges, month=month.first_day(), after=after, limit=chunk
        )
        if not rows:
            break
        found = await facts.inputs(session, rows, parameters)
        changes = [
            (row, person, change)
            for row, person in rows
            if (change := age_driven_change(found[row.id], parameters, on)) is not None
        ]
        poverty = await repository.poverty_statuses(session, [p.id for _, p, _ in changes], on)
        envelopes: dict[uuid.UUID, dict[str, Any]] = {}
        claims: list[dict[str, Any]] = []
        for row, person, change in changes:
            data = event_data(row, person, change, poverty.get(person.id))
            envelope = EVENTS.catalogue.event(BENEFICIARY_LEVEL_CHANGED, str(row.id), data)
            envelopes[row.id] = envelope
            claims.append(
                {
                    "beneficiary_id": row.id,
                    "effective_month": month.first_day(),
                    "event_id": uuid.UUID(envelope["id"]),
                    "category": data.category,
                    "coefficient": data.coefficient,
                    "run_on": on,
                }
            )
        for beneficiary_id in sorted(await repository.claim(session, claims)):
            event = await publish(session, EVENTS.tables, envelopes[beneficiary_id])
            published.append((event.id, BeneficiaryLevelChanged.model_validate(event.data)))
        session.expunge_all()
        if len(rows) < chunk:
            break
        after = rows[-1][0].id
    return published
