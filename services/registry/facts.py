"""The entitlement engine's inputs (:class:`~.rules.entitlements.Beneficiary`), gathered from the registry's tables.

One place assembles what the pure engine needs about a beneficiary, for every caller (the entitlements API, the
bulk stream, the schedules, the level-changes job): the person, the decisions (in order), the months in
residential care, the months of study, and — for a per-child grant (5.4) — the children raised. Reads only
repositories and rules, so that any feature may import it without an import circle.

* **Months in residence**: from the month of admission through the month *before* the month of discharge (a
  person admitted on 15 August is paid the Art 25 coefficient from August; one discharged on 10 March is paid the
  regular line again from March). A stay admitted and discharged within one month gives no residential month.
* **Months of study**: every study period not withdrawn, ``from`` through ``to`` (open while still studying).
* **Children of a single parent (5.4)**: the members of a household the parent belongs to whose relationship (to
  the head) makes them the parent's child — ``child`` when the parent is the head (or the head's spouse),
  ``grandchild`` when the parent is a child of the head — counted in the months both belong to that household:
  from the month of joining through the month of leaving (a child who leaves in June is still counted in June).
  The engine then counts them by age and study month by month (:func:`.rules.entitlements.children_counted`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from .beneficiaries import repository as beneficiaries_repository
from .households import repository as households_repository
from .models import BeneficiaryRow, Decision, HouseholdMember, Person, Residency, StudyPeriod
from .residential import repository as residential_repository
from .rules.entitlements import Beneficiary, CategoryGrant, Child
from .rules.months import Month, Period
from .rules.parameters import DisabilityLevel, Parameters
from .rules.person import Sex
from .study import repository as study_repository

CHILD_OF: dict[str, str] = {"head": "child", "spouse": "child", "child": "grandchild"}
"""The relationship (to the head) of the parent's children, by the parent's own relationship to the head."""


def residential_periods(residencies: Iterable[Residency]) -> tuple[Period, ...]:
    """The months in residence of these stays (see the module docstring)."""
    periods = []
    for r in residencies:
        start = Month.of(r.admitted_on)
        end = Month.of(r.discharged_on) - 1 if r.discharged_on is not None else None
        if end is None or end >= start:
            periods.append(Period(start, end))
    return tuple(periods)


def study_periods(rows: Iterable[StudyPeriod]) -> tuple[Period, ...]:
    """The months of study of these periods (withdrawn ones excluded)."""
    return tuple(
        Period(Month.of(r.from_month), Month.of(r.to_month) if r.to_month else None)
        for r in rows
        if r.withdrawn_at is None
    )


def _months(joined: date, left: date | None) -> Period:
    return Period(Month.of(joined), Month.of(left) if left is not None else None)


def _overlap(a: Period, b: Period) -> Period | None:
    start = max(a.start, b.start)
    ends = [e for e in (a.end, b.end) if e is not None]
    end = min(ends) if ends else None
    return Period(start, end) if end is None or end >= start else None


def children_raised(
    parent_id: uuid.UUID,
    memberships: Sequence[HouseholdMember],
    members: Sequence[tuple[HouseholdMember, Person]],
    studying: Mapping[uuid.UUID, tuple[Period, ...]],
) -> tuple[Child, ...]:
    """The children of ``parent_id`` (see the module docstring), each with the months raised by the parent."""
    raised: dict[uuid.UUID, list[Period]] = {}
    persons: dict[uuid.UUID, Person] = {}
    for own in memberships:
        if own.person_id != parent_id or own.relationship not in CHILD_OF:
            continue
        parent_months = _months(own.joined_on, own.left_on)
        for member, person in members:
            if (
                member.household_id != own.household_id
                or member.person_id == parent_id
                or member.relationship != CHILD_OF[own.relationship]
            ):
                continue
            months = _overlap(parent_months, _months(member.joined_on, member.left_on))
            if months is not None:
                raised.setdefault(person.id, []).append(months)
                persons[person.id] = person
    return tuple(
        Child(
            person_id=str(pid),
            date_of_birth=persons[pid].date_of_birth,
            raised=tuple(periods),
            studying=studying.get(pid, ()),
            death_date=persons[pid].death_date,
            name=persons[pid].full_name,
        )
        for pid, periods in raised.items()
    )


def engine_input(
    person: Person,
    decisions: Sequence[Decision],
    residential: Sequence[Period] = (),
    studying: Sequence[Period] = (),
    children: Sequence[Child] = (),
) -> Beneficiary:
    """The engine's facts about a beneficiary, derived from the person, the decisions (in order), the months in
    residential care and of study, and the children raised (for a 5.4 grant).

    Decisions: ``approve`` / ``change_category`` grant the categories from the effective month (a category change
    ends the previous grants the month before); ``suspend`` / ``reinstate`` make a suspension period;
    ``terminate`` loses eligibility (the effective month is the first month not paid); ``record_death`` sets the
    death date."""
    disability = DisabilityLevel(person.disability_level) if person.disability_level else None
    certificate = Month.of(person.disability_certified_on) if person.disability_certified_on else None
    grants: list[CategoryGrant] = []
    current: list[int] = []  # indexes in grants of the grants in force
    suspensions: list[Period] = []
    suspended_from: Month | None = None
    lost: Month | None = None
    death: date | None = None
    for d in decisions:
        month = Month.of(d.effective_month)
        if d.kind in ("approve", "change_category"):
            for i in current:
                grants[i] = replace(grants[i], lost_eligibility_month=month - 1)
            current = []
            for code in d.categories or []:
                current.append(len(grants))
                grants.append(
                    CategoryGrant(
                        category=code,
                        decision_month=month,
                        disability_level=disability if code == "5.6" else None,
                        certificate_month=certificate if code == "5.6" else None,
                    )
                )
        elif d.kind == "suspend":
            suspended_from = month
        elif d.kind == "reinstate" and suspended_from is not None:
            suspensions.append(Period(suspended_from, month - 1))
            suspended_from = None
        elif d.kind == "terminate":
            lost = month - 1
        elif d.kind == "record_death":
            death = d.death_date
    if suspended_from is not None:
        suspensions.append(Period(suspended_from))
    return Beneficiary(
        date_of_birth=person.date_of_birth,
        sex=Sex(person.sex),
        grants=tuple(grants),
        death_date=death,
        lost_eligibility_month=lost,
        suspensions=tuple(suspensions),
        residential=tuple(residential),
        studying=tuple(studying),
        children=tuple(children),
    )


async def inputs(
    session: AsyncSession,
    rows: Sequence[tuple[BeneficiaryRow, Person]],
    parameters: Parameters,
    *,
    decisions: Mapping[uuid.UUID, Sequence[Decision]] | None = None,
) -> dict[uuid.UUID, Beneficiary]:
    """The engine's input for each beneficiary of ``rows`` (by beneficiary id), in a fixed number of queries:
    decisions (unless given), residencies, study periods, and for the beneficiaries ever granted a per-child
    category their households' children with their study periods."""
    if not rows:
        return {}
    if decisions is None:
        decisions = await beneficiaries_repository.decisions_of(session, [b.id for b, _ in rows])
    person_ids = [p.id for _, p in rows]
    residencies = await residential_repository.residencies_of(session, person_ids)
    per_child = {rule.code for rule in parameters.category_rules if rule.per_child}
    parents = [p.id for b, p in rows if any(per_child & set(d.categories or ()) for d in decisions[b.id])]
    memberships = await households_repository.memberships_of(session, parents)
    members = await households_repository.members_with_relationship(
        session,
        {m.household_id for m in memberships},
        {CHILD_OF[m.relationship] for m in memberships if m.relationship in CHILD_OF},
    )
    studies = await study_repository.of_persons(session, [*person_ids, *(p.id for _, p in members)])
    studying = {pid: study_periods(found) for pid, found in studies.items()}
    out: dict[uuid.UUID, Beneficiary] = {}
    for row, person in rows:
        children = children_raised(person.id, memberships, members, studying) if person.id in parents else ()
        out[row.id] = engine_input(
            person,
            decisions[row.id],
            residential_periods(residencies[person.id]),
            studying.get(person.id, ()),
            children,
        )
    return out
