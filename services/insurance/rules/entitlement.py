"""Which card a person holds on each day: the pure decision behind the insurance projection.

Spans are half-open ``[start, end)``; ``end`` None means open-ended. The decision collects every ground a person
has (child under 6, monthly social allowance, household poverty status, recorded pupil/student status), then for
every day picks one card with :func:`groups.choose`, and returns the days as merged, non-overlapping segments."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from .groups import BT, CN, GB, HN, TE, Group, choose
from .validity import child_card_valid_to

HOUSEHOLD_GROUPS = {"poor": HN, "near_poor": CN, "average_living_farming": GB}
"""Household poverty statuses (as the registry names them) and the card group each gives its members."""


@dataclass(frozen=True, slots=True)
class Span:
    start: date
    end: date | None = None

    def contains(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)


@dataclass(frozen=True, slots=True)
class Segment:
    """One card group held without a break from ``start`` up to ``end`` (exclusive; None: still held)."""

    group: str
    start: date
    end: date | None

    @property
    def last_day(self) -> date | None:
        return None if self.end is None else self.end - timedelta(days=1)


@dataclass(frozen=True, slots=True)
class BeneficiaryStep:
    """A decision on one beneficiary of the monthly allowance, in the registry's order: ``kind`` approved,
    reinstated, suspended, terminated or changed, from ``effective`` (the first day of the decision's month)."""

    beneficiary_id: str
    kind: str
    effective: date


@dataclass(frozen=True, slots=True)
class Membership:
    household_id: str
    joined_on: date
    left_on: date | None = None


@dataclass(frozen=True, slots=True)
class HouseholdStatus:
    household_id: str
    valid_from: date
    status: str


@dataclass(frozen=True, slots=True)
class Facts:
    """What insurance knows of a person (from registry events; no name, no national ID, no health data)."""

    date_of_birth: date
    registered_on: date | None = None
    death_date: date | None = None
    beneficiary_steps: Sequence[BeneficiaryStep] = ()
    memberships: Sequence[Membership] = ()
    household_statuses: Sequence[HouseholdStatus] = ()
    recorded: Sequence[tuple[str, Span]] = field(default_factory=tuple)
    """Grounds recorded as data (pupils HS, students SV), each with its span."""


def child_span(date_of_birth: date, registered_on: date | None) -> Span | None:
    """TE from the birth registration (never before birth) through the 72-month rule's last day."""
    if registered_on is None:
        return None
    start = max(date_of_birth, registered_on)
    end = child_card_valid_to(date_of_birth) + timedelta(days=1)
    return Span(start, end) if start < end else None


def beneficiary_spans(steps: Iterable[BeneficiaryStep]) -> list[Span]:
    """BT from each approval's (or reinstatement's) entitlement date until a termination. A suspension stops the
    payments, not the status of beneficiary: the card continues (this platform's reading of Decree 146 Art 3)."""
    spans: list[Span] = []
    by_beneficiary: dict[str, list[BeneficiaryStep]] = {}
    for step in steps:
        by_beneficiary.setdefault(step.beneficiary_id, []).append(step)
    for own in by_beneficiary.values():
        start: date | None = None
        for step in own:
            if step.kind in ("approved", "reinstated") and start is None:
                start = step.effective
            elif step.kind == "terminated" and start is not None:
                if step.effective > start:
                    spans.append(Span(start, step.effective))
                start = None
        if start is not None:
            spans.append(Span(start))
    return spans


def household_spans(memberships: Iterable[Membership], statuses: Iterable[HouseholdStatus]) -> list[tuple[str, Span]]:
    """HN, CN or GB while the person is a member of a household with that status (the status in force on a day is
    the one with the latest ``valid_from`` on or before it; of two about the same day, the later one given wins:
    pass them in the order they were recorded)."""
    by_household: dict[str, dict[date, HouseholdStatus]] = {}
    for s in statuses:
        by_household.setdefault(s.household_id, {})[s.valid_from] = s
    out: list[tuple[str, Span]] = []
    for m in memberships:
        own = sorted(by_household.get(m.household_id, {}).values(), key=lambda s: s.valid_from)
        for i, s in enumerate(own):
            nxt = own[i + 1].valid_from if i + 1 < len(own) else None
            start = max(s.valid_from, m.joined_on)
            end = _min_end(nxt, m.left_on)
            group = HOUSEHOLD_GROUPS.get(s.status)
            if group is not None and (end is None or start < end):
                out.append((group, Span(start, end)))
    return out


def _min_end(a: date | None, b: date | None) -> date | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


def grounds(facts: Facts) -> list[tuple[str, Span]]:
    """Every (group, span) the person is entitled to, each cut at death (the day after the death date)."""
    out: list[tuple[str, Span]] = []
    te = child_span(facts.date_of_birth, facts.registered_on)
    if te is not None:
        out.append((TE, te))
    out += [(BT, s) for s in beneficiary_spans(facts.beneficiary_steps)]
    out += household_spans(facts.memberships, facts.household_statuses)
    out += list(facts.recorded)
    if facts.death_date is not None:
        stop = facts.death_date + timedelta(days=1)
        out = [(g, Span(s.start, _min_end(s.end, stop))) for g, s in out if s.start < stop]
    return [(g, s) for g, s in out if s.end is None or s.start < s.end]


def decide(facts: Facts, groups: dict[str, Group]) -> list[Segment]:
    """The person's card group for every day, as merged non-overlapping segments in date order: the highest
    benefit among the grounds held that day, first in statutory order on a tie (one card, never two)."""
    held = [(g, s) for g, s in grounds(facts) if g in groups]
    bounds = sorted({s.start for _, s in held} | {s.end for _, s in held if s.end is not None})
    segments: list[Segment] = []
    for i, start in enumerate(bounds):
        end = bounds[i + 1] if i + 1 < len(bounds) else None
        chosen = choose({g for g, s in held if s.contains(start)}, groups)
        if chosen is None:
            continue
        last = segments[-1] if segments else None
        if last is not None and last.group == chosen and last.end == start:
            segments[-1] = Segment(chosen, last.start, end)
        else:
            segments.append(Segment(chosen, start, end))
    return segments


def group_on(segments: Sequence[Segment], day: date) -> str | None:
    return next((s.group for s in segments if Span(s.start, s.end).contains(day)), None)
