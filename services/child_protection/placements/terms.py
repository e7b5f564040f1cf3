"""A foster placement's terms as payments needs them (Decree 20/2021 Art 20): whether it qualifies (a foster family
caring for a child of allowance category 5.1 on the placement's first day) and the child's birth date, published in
``child_protection.placement.recorded.v1`` — when the placement is recorded, and again when the child's groups or
birth date change. Separate from ``service`` so the children feature can call it without an import circle."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from ..cases import repository as cases
from ..events import EVENTS, PLACEMENT_RECORDED, PlacementRecorded
from ..models import Child, Placement
from ..rules import deadlines as rules
from ..rules import placement as placement_rules
from . import repository

ALLOWANCE_51_GROUPS = ("orphan", "abandoned", "no_one_to_rely_on")
"""Groups whose children fall in monthly-allowance category 5.1 (Decree 20/2021 Art 5.1)."""


async def foster_allowance(session: AsyncSession, p: Placement) -> bool:
    return p.kind == placement_rules.PlacementKind.FOSTER.value and await repository.in_groups(
        session, p.child_id, ALLOWANCE_51_GROUPS, p.starts_on
    )


async def publish_recorded(session: AsyncSession, p: Placement, child: Child, case_number: str | None) -> None:
    await EVENTS.publish(
        session,
        PLACEMENT_RECORDED,
        str(p.id),
        PlacementRecorded(
            placement_id=p.id,
            child_id=child.id,
            person_id=child.person_id,
            case_id=p.case_id,
            case_number=case_number,
            kind=p.kind,
            starts_on=p.starts_on,
            first_report_due=rules.carer_report_due(p.starts_on, 0),
            foster_allowance=await foster_allowance(session, p),
            child_date_of_birth=child.date_of_birth,
            commune_code=p.commune_code,
            district_code=p.district_code,
            province_code=p.province_code,
        ),
    )


async def changed(session: AsyncSession, child: Child) -> int:
    """The child's groups or date of birth changed: each foster placement of the child is published again (same
    placement id) with its terms as they are now. Payments applies it as an upsert: the same terms change nothing,
    new ones are settled by its next payroll. Returns how many."""
    await session.flush()
    published = 0
    for p in await repository.of_child(session, child.id):
        if p.kind == placement_rules.PlacementKind.FOSTER.value:
            case = await cases.get(session, p.case_id) if p.case_id else None
            await publish_recorded(session, p, child, case.case_number if case else None)
            published += 1
    return published
