"""Use cases of study periods: record, correct, withdraw, list, history. Never commits.

A study period says a person studies (school, vocational training, a first degree) from one month through another
(open while studying), on the word of a certifying document. What it changes: a 5.1 child who is studying in the
month after the 16th-birthday month continues as 5.2 without a gap, and 5.2 is paid while the study goes on; a
single parent (5.4) is paid for a child aged 16 to 22 in the months the child studies. Every change refreshes the
entitlement schedules of the person and of the households they belong to, so a period recorded late brings
arrears (``registry.beneficiary.entitlements_changed.v1``), and publishes ``registry.person.study_changed.v1``.

Periods of one person never overlap (``409 study-overlap``). A period may not start before the month of birth,
after the current month, or after the month of death.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from common import clock
from common.auth import Principal
from common.errors import NotFound, PreconditionFailed, ValidationFailed

from ..events import EVENTS, PERSON_STUDY_CHANGED, PersonStudyChanged
from ..history import service as history_service
from ..models import Person, StudyPeriod
from ..persons import service as persons_service
from ..rules.months import Month, Period
from ..schedules import service as schedules_service
from . import repository
from .exceptions import StudyOverlap, StudyWithdrawn
from .schemas import StudyPeriodIn, StudyPeriodPatch


def location(period_id: uuid.UUID) -> str:
    return f"/registry/study-periods/{period_id}"


def etag(period: StudyPeriod) -> str:
    return f'"{period.version}"'


def snapshot(period: StudyPeriod) -> dict[str, Any]:
    return {
        "kind": period.kind,
        "from": str(Month.of(period.from_month)),
        "to": str(Month.of(period.to_month)) if period.to_month else None,
        "institution": period.institution,
        "document": period.document,
        "withdrawn": period.withdrawn_at is not None,
    }


def _months(period: StudyPeriod) -> Period:
    return Period(Month.of(period.from_month), Month.of(period.to_month) if period.to_month else None)


def _overlaps(a: Period, b: Period) -> bool:
    return (a.end is None or b.start <= a.end) and (b.end is None or a.start <= b.end)


async def _check(
    session: AsyncSession, person: Person, start: Month, end: Month | None, ignore: uuid.UUID | None = None
) -> None:
    errors = []
    if start < Month.of(person.date_of_birth):
        errors.append(
            {"field": "body.from", "reason": f"must not be before the month of birth {Month.of(person.date_of_birth)}"}
        )
    if start > Month.of(clock.today()):
        errors.append({"field": "body.from", "reason": "must not be after the current month"})
    if person.death_date is not None and start > Month.of(person.death_date):
        errors.append({"field": "body.from", "reason": f"the person died on {person.death_date.isoformat()}"})
    if end is not None and end < start:
        errors.append({"field": "body.to", "reason": "must not be before from"})
    if errors:
        raise ValidationFailed(errors)
    new = Period(start, end)
    for other in (await repository.of_persons(session, [person.id]))[person.id]:
        if other.id != ignore and _overlaps(new, _months(other)):
            raise StudyOverlap(
                f"the person already studies in {_months(other).start}..{_months(other).end or 'now'} ({other.kind})",
                existing=location(other.id),
            )


async def _publish(
    session: AsyncSession, person: Person, period: StudyPeriod, change: str, *, refresh: bool = True
) -> None:
    await EVENTS.publish(
        session,
        PERSON_STUDY_CHANGED,
        str(person.id),
        PersonStudyChanged(
            person_id=person.id,
            study_period_id=period.id,
            change=change,
            version=period.version,
            kind=period.kind,
            from_month=str(Month.of(period.from_month)),
            to_month=str(Month.of(period.to_month)) if period.to_month else None,
            withdrawn=period.withdrawn_at is not None,
            commune_code=person.commune_code,
            district_code=person.district_code,
            province_code=person.province_code,
        ),
    )
    if refresh:
        await schedules_service.refresh_person(session, person.id)


async def record(
    session: AsyncSession, principal: Principal, person_id: uuid.UUID, body: StudyPeriodIn, *, refresh: bool = True
) -> StudyPeriod:
    """Record a study period; ``refresh=False`` (the bulk import) leaves the schedules to the caller."""
    person = await persons_service.get_visible(session, principal, person_id, for_update=True)
    await _check(session, person, body.from_, body.to)
    now = datetime.now(UTC)
    period = StudyPeriod(
        id=uuid.uuid4(),
        person_id=person.id,
        kind=body.kind,
        from_month=body.from_.first_day(),
        to_month=body.to.first_day() if body.to else None,
        institution=body.institution,
        document=body.document,
        version=1,
        withdrawn_at=None,
        created_at=now,
        updated_at=now,
        created_by=principal.client_id,
        updated_by=principal.client_id,
    )
    await repository.flush(session, period)
    history_service.record(
        session,
        record_type=repository.RECORD_TYPE,
        record_id=period.id,
        version=1,
        changed_by=principal.client_id,
        reason=body.document,
        before=None,
        after=snapshot(period),
    )
    await _publish(session, person, period, "recorded", refresh=refresh)
    return period


async def get_visible(
    session: AsyncSession, principal: Principal, period_id: uuid.UUID, *, for_update: bool = False
) -> tuple[StudyPeriod, Person]:
    """The period and its person; 404 when either is missing or the person lies outside the caller's areas."""
    period = await repository.get(session, period_id, for_update=for_update)
    if period is None:
        raise NotFound(f"no study period {period_id}")
    try:
        person = await persons_service.get_visible(session, principal, period.person_id, for_update=for_update)
    except NotFound:
        raise NotFound(f"no study period {period_id}") from None
    return period, person


def _check_version(period: StudyPeriod, if_match: str | None) -> None:
    if not persons_service.matches_if_match(if_match, period.version):
        raise PreconditionFailed(
            f"the study period has changed: it is at version {period.version}; re-read it and retry",
            headers={"ETag": etag(period)},
            current_version=period.version,
            current_etag=etag(period),
        )


def _touch(period: StudyPeriod, principal: Principal) -> None:
    period.version += 1
    period.updated_at = datetime.now(UTC)
    period.updated_by = principal.client_id


async def correct(
    session: AsyncSession, principal: Principal, period_id: uuid.UUID, if_match: str | None, patch: StudyPeriodPatch
) -> StudyPeriod:
    period, person = await get_visible(session, principal, period_id, for_update=True)
    _check_version(period, if_match)
    if period.withdrawn_at is not None:
        raise StudyWithdrawn("the study period was withdrawn; record a new one")
    sent = patch.model_fields_set - {"reason"}
    before = snapshot(period)
    start = patch.from_ if "from_" in sent and patch.from_ is not None else Month.of(period.from_month)
    if "from_" in sent and patch.from_ is None:
        raise ValidationFailed([{"field": "body.from", "reason": "must not be null"}])
    end = patch.to if "to" in sent else (Month.of(period.to_month) if period.to_month else None)
    await _check(session, person, start, end, ignore=period.id)
    for name in ("kind", "institution", "document"):
        if name in sent:
            value = getattr(patch, name)
            if value is None:
                raise ValidationFailed([{"field": f"body.{name}", "reason": "must not be null"}])
            setattr(period, name, value)
    period.from_month, period.to_month = start.first_day(), end.first_day() if end else None
    if snapshot(period) == before:
        return period
    _touch(period, principal)
    history_service.record(
        session,
        record_type=repository.RECORD_TYPE,
        record_id=period.id,
        version=period.version,
        changed_by=principal.client_id,
        reason=patch.reason,
        before=before,
        after=snapshot(period),
    )
    await session.flush()
    await _publish(session, person, period, "corrected")
    return period


async def withdraw(
    session: AsyncSession, principal: Principal, period_id: uuid.UUID, if_match: str | None, reason: str
) -> StudyPeriod:
    period, person = await get_visible(session, principal, period_id, for_update=True)
    _check_version(period, if_match)
    if period.withdrawn_at is not None:
        return period
    before = snapshot(period)
    period.withdrawn_at = datetime.now(UTC)
    _touch(period, principal)
    history_service.record(
        session,
        record_type=repository.RECORD_TYPE,
        record_id=period.id,
        version=period.version,
        changed_by=principal.client_id,
        reason=reason,
        before=before,
        after=snapshot(period),
    )
    await session.flush()
    await _publish(session, person, period, "withdrawn")
    return period


async def list_of(session: AsyncSession, principal: Principal, person_id: uuid.UUID) -> list[StudyPeriod]:
    await persons_service.get_visible(session, principal, person_id)
    return (await repository.of_persons(session, [person_id], withdrawn=True))[person_id]


async def history(
    session: AsyncSession, principal: Principal, period_id: uuid.UUID, cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    await get_visible(session, principal, period_id)
    return await history_service.page(session, repository.RECORD_TYPE, period_id, cursor, limit)


async def rekey_person(session: AsyncSession, source: uuid.UUID, target: uuid.UUID) -> int:
    """A merge (``duplicates.service``): ``source``'s study periods now belong to ``target``."""
    return await repository.rekey_person(session, source, target)
