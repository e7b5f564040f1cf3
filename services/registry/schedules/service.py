"""Publish a beneficiary's entitlement schedule whenever it changes. Never commits (except :func:`sweep`,
which is a job with its own transactions).

Every use case that can change what a beneficiary is owed (approval, decisions, a death, an admission to
or discharge from a centre, a corrected date of birth or disability) calls :func:`refresh` for the
beneficiaries concerned, in its own transaction: the schedule is computed by the pure engine over the
window ``[SCHEDULE_FROM, this month + HORIZON_MONTHS]``, compressed into periods, and published only if it
differs from the last one published (its fingerprint). A new standard level or coefficient rule changes
everybody's schedule: :func:`sweep` goes through every beneficiary in chunks, and runs after such a change
and every day, so that nothing is ever left unsent.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from .. import facts
from ..clock import today_in_vietnam
from ..events import BENEFICIARY_ENTITLEMENTS_CHANGED, EVENTS, BeneficiaryEntitlementsChanged, SchedulePeriodOut
from ..households import repository as households_repository
from ..models import BeneficiaryRow, Person
from ..parameters.service import load_parameters
from ..rules.entitlements import entitlements
from ..rules.months import Month
from ..rules.parameters import Parameters
from ..rules.schedule import compress, fingerprint
from . import repository

log = structlog.get_logger("registry.schedules")

HORIZON_MONTHS = 24
"""How far ahead schedules are computed; a period still paid then is open-ended."""
SCHEDULE_FROM = Month(2021, 1)
"""The first month schedules describe (the Decree 20/2021 levels). Fixed, not sliding, so that a schedule
changes only when what is owed changes; the payments service decides from which month it settles."""
CHUNK = 500
"""Beneficiaries per transaction of a sweep."""


@dataclass(frozen=True)
class Window:
    first: Month
    last: Month

    @classmethod
    def at(cls, today: date) -> Window:
        return cls(SCHEDULE_FROM, Month.of(today) + HORIZON_MONTHS)


def _data(
    row: BeneficiaryRow,
    person: Person,
    household_id: uuid.UUID | None,
    periods: list,  # type: ignore[type-arg]
    window: Window,
) -> dict:  # type: ignore[type-arg]
    return {
        "beneficiary_id": row.id,
        "person_id": person.id,
        "status": row.status,
        "full_name": person.full_name,
        "national_id": person.national_id,
        "date_of_birth": person.date_of_birth,
        "sex": person.sex,
        "death_date": getattr(person, "death_date", None),
        "commune_code": person.commune_code,
        "district_code": person.district_code,
        "province_code": person.province_code,
        "household_id": household_id,
        "computed_from": str(window.first),
        "computed_to": str(window.last),
        "periods": [SchedulePeriodOut.model_validate(p.as_json()) for p in periods],
    }


async def refresh(
    session: AsyncSession,
    ids: Sequence[uuid.UUID],
    *,
    parameters: Parameters | None = None,
    window: Window | None = None,
) -> int:
    """Recompute the schedules of ``ids`` and publish those that changed; returns how many were published."""
    if not ids:
        return 0
    parameters = parameters or await load_parameters(session)
    window = window or Window.at(today_in_vietnam())
    rows = await repository.lock_and_load(session, ids)
    if not rows:
        return 0
    found = await facts.inputs(session, rows, parameters)
    households = await repository.households_of(session, [p.id for _, p in rows])
    before = await repository.stored(session, [b.id for b, _ in rows])
    changed: list[tuple[str, BeneficiaryEntitlementsChanged]] = []
    saved: list[dict] = []  # type: ignore[type-arg]
    for row, person in rows:
        periods = compress(
            entitlements(found[row.id], parameters, window.first, window.last), open_ended_after=window.last
        )
        data = _data(row, person, households.get(person.id), periods, window)
        digest = fingerprint(periods, **{k: v for k, v in data.items() if k not in ("periods", "computed_to")})
        version, old = before.get(row.id, (0, None))
        if digest == old:
            continue
        changed.append((str(row.id), BeneficiaryEntitlementsChanged(version=version + 1, **data)))
        saved.append({"beneficiary_id": row.id, "version": version + 1, "fingerprint": digest})
    await EVENTS.publish_many(session, BENEFICIARY_ENTITLEMENTS_CHANGED, changed)
    await repository.save(session, saved)
    return len(changed)


async def refresh_person(session: AsyncSession, *person_ids: uuid.UUID) -> int:
    """After a change to persons (date of birth, disability, address, household, study, death): their beneficiaries'
    schedules, and those of everyone who is or was in a household with them — a single parent (5.4) is paid for
    the children of her household, so a child's birth date, study or membership changes her schedule."""
    related = await households_repository.co_members(session, person_ids)
    return await refresh(session, await repository.of_persons(session, [*person_ids, *related]))


@dataclass
class SweepResult:
    examined: int = 0
    published: int = 0


async def sweep(maker: Callable[[], AsyncSession], *, today: date | None = None, chunk: int = CHUNK) -> SweepResult:
    """Every beneficiary's schedule, chunk by chunk, each chunk in its own committed transaction (a job's
    boundary), publishing those that changed."""
    result = SweepResult()
    window = Window.at(today or today_in_vietnam())
    async with maker() as session:
        parameters = await load_parameters(session)
    after: uuid.UUID | None = None
    while True:
        async with maker() as session, session.begin():
            ids = await repository.ids_after(session, after, chunk)
            if not ids:
                return result
            result.published += await refresh(session, ids, parameters=parameters, window=window)
        result.examined += len(ids)
        after = ids[-1]
        if len(ids) < chunk:
            return result


async def sweep_logged(maker: Callable[[], AsyncSession], why: str) -> None:
    """:func:`sweep` as a background job: its outcome (or failure) goes to the log, never to a client."""
    try:
        result = await sweep(maker)
    except Exception as exc:  # the daily sweep will publish what this one could not
        log.warning("schedules_sweep_failed", why=why, error=type(exc).__name__, detail=str(exc)[:200])
    else:
        log.info("schedules_swept", why=why, examined=result.examined, published=result.published)
