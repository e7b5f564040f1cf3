"""Counts for the reports (read-only, set-based)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Row, and_, case, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from common.clock import VIETNAM_TZ
from common.db import in_areas

from ..models import Case, Child, ChildGroup, Placement, Plan, SupportItem, Unit


def _unit_of(entity: Any) -> Any:
    """The unit a record was made with (a reused code has a pre-2025 row and a 2025 row: the province decides)."""
    return and_(Unit.commune_code == entity.commune_code, Unit.province_code == entity.province_code)


def _old_district(entity: Any) -> Any:
    """The record's district, or for a 2025 commune (no district) the old district(s) it came from (the 2025
    mapping; several joined by ``;`` when it merged communes of several districts)."""
    return case(
        (entity.district_code != "", entity.district_code),
        else_=func.coalesce(func.array_to_string(Unit.old_district_codes, ";"), ""),
    ).label("district_code")


def _active_group(on: date) -> Any:
    return and_(ChildGroup.valid_from <= on, or_(ChildGroup.valid_to.is_(None), ChildGroup.valid_to >= on))


async def children_by_group(session: AsyncSession, on: date, areas: Sequence[str] | None) -> Sequence[Row[Any]]:
    district = _old_district(Child)
    stmt = (
        select(
            Child.commune_code,
            district,
            Unit.name.label("commune_name"),
            ChildGroup.group_code,
            func.count(func.distinct(Child.id)).label("children"),
        )
        .join(ChildGroup, ChildGroup.child_id == Child.id)
        .outerjoin(Unit, _unit_of(Child))
        .where(_active_group(on))
        .group_by(Child.commune_code, district, Unit.name, ChildGroup.group_code)
        .order_by(district, Child.commune_code, ChildGroup.group_code)
    )
    if areas is not None:
        stmt = stmt.where(in_areas(Child, areas))
    return (await session.execute(stmt)).all()


async def support_share(session: AsyncSession, on: date, areas: Sequence[str] | None) -> Sequence[Row[Any]]:
    """Per commune: children in special circumstances on ``on``, and how many of them have an approved plan in a
    case that is open on that day (receiving support)."""
    end_of_day = datetime.combine(on + timedelta(days=1), time(0), tzinfo=VIETNAM_TZ)
    supported = exists().where(
        Case.child_id == Child.id,
        Plan.case_id == Case.id,
        Plan.status == "approved",
        Plan.decided_at < end_of_day,
        or_(Case.closed_at.is_(None), Case.closed_at >= end_of_day),
    )
    in_group = exists().where(ChildGroup.child_id == Child.id, _active_group(on))
    district = _old_district(Child)
    stmt = (
        select(
            Child.commune_code,
            district,
            Unit.name.label("commune_name"),
            func.count().label("children"),
            func.count().filter(supported).label("supported"),
        )
        .outerjoin(Unit, _unit_of(Child))
        .where(in_group)
        .group_by(Child.commune_code, district, Unit.name)
        .order_by(district, Child.commune_code)
    )
    if areas is not None:
        stmt = stmt.where(in_areas(Child, areas))
    return (await session.execute(stmt)).all()


async def placements_by_kind(session: AsyncSession, on: date, areas: Sequence[str] | None) -> Sequence[Row[Any]]:
    district = _old_district(Placement)
    stmt = (
        select(Placement.commune_code, district, Placement.kind, func.count().label("placements"))
        .outerjoin(Unit, _unit_of(Placement))
        .where(Placement.starts_on <= on, or_(Placement.ends_on.is_(None), Placement.ends_on >= on))
        .group_by(Placement.commune_code, district, Placement.kind)
        .order_by(district, Placement.commune_code, Placement.kind)
    )
    if areas is not None:
        stmt = stmt.where(in_areas(Placement, areas))
    return (await session.execute(stmt)).all()


async def support_given(
    session: AsyncSession, since: date, until: date, areas: Sequence[str] | None
) -> Sequence[Row[Any]]:
    """Per kind and funding of money support: items whose plan was approved from ``since`` to ``until`` (Viet Nam
    days), and the items payments reported paid (with the amount) or unpaid/returned in those days."""
    start = datetime.combine(since, time(0), tzinfo=VIETNAM_TZ)
    end = datetime.combine(until + timedelta(days=1), time(0), tzinfo=VIETNAM_TZ)
    approved = and_(
        Plan.status == "approved",
        Plan.decided_at >= start,
        Plan.decided_at < end,
        SupportItem.status.notin_(("proposed", "cancelled")),
    )
    reported = and_(SupportItem.outcome_on >= since, SupportItem.outcome_on <= until)
    paid = and_(reported, SupportItem.status == "paid")
    stmt = (
        select(
            SupportItem.kind,
            SupportItem.funding,
            func.count().filter(approved).label("approved"),
            func.count(func.distinct(Case.child_id)).filter(approved).label("children"),
            func.coalesce(func.sum(SupportItem.amount).filter(approved), 0).label("amount_approved"),
            func.count().filter(paid).label("paid"),
            func.coalesce(func.sum(SupportItem.amount).filter(paid), 0).label("amount_paid"),
            func.count().filter(reported, SupportItem.status.in_(("unpaid", "returned"))).label("unpaid"),
        )
        .join(Plan, Plan.id == SupportItem.plan_id)
        .join(Case, Case.id == SupportItem.case_id)
        .where(or_(approved, reported))
        .group_by(SupportItem.kind, SupportItem.funding)
        .order_by(SupportItem.kind, SupportItem.funding)
    )
    if areas is not None:
        stmt = stmt.where(in_areas(SupportItem, areas))
    return (await session.execute(stmt)).all()
