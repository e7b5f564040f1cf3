"""The seeded province as data (``ansinh/seed/world.py``): the same seed gives the same province, and what it sends
passes the registry's own rules — national IDs agree with birth date and sex, communes are 2025 communes."""

from __future__ import annotations

from collections import Counter
from datetime import date

from ansinh.seed.world import CENTRE_CASH, RAISED_FOR_ONE_CHILD, build, communes_2025
from common.units import seed_units
from services.registry.rules.national_id import validate_national_id
from services.registry.rules.person import Sex

TODAY = date(2026, 12, 4)


def province(seed: int = 3):  # type: ignore[no-untyped-def]
    return build(seed, 0.01, 2026, date(2026, 12, 1), TODAY)


def test_the_same_seed_gives_the_same_province_and_another_seed_another():
    first, again, other = province(), province(), province(4)
    assert [p.row() for p in first.persons] == [p.row() for p in again.persons]
    assert [(g.person.key, g.category, g.effective) for g in first.grants] == [
        (g.person.key, g.category, g.effective) for g in again.grants
    ]
    assert [p.full_name for p in first.persons[:50]] != [p.full_name for p in other.persons[:50]]


def test_national_ids_agree_with_birth_date_and_sex_and_never_repeat():
    world = province()
    for p in world.persons:
        assert validate_national_id(p.national_id, p.date_of_birth, Sex(p.sex)) == [], p
    assert len({p.national_id for p in world.persons}) == len(world.persons)


def test_every_2025_commune_is_used_and_in_force():
    world = province()
    units = seed_units()
    assert len(world.communes) == len(communes_2025()) > 30
    assert {p.commune for p in world.persons} == set(world.communes)
    for code in world.communes:
        assert units.commune_on(code, TODAY).province_code == "86"


def test_sizes_mix_and_dates():
    world = build(1, 0.05, 2026, date(2026, 12, 1), TODAY)
    grants = [*world.grants, *world.new_grants]
    assert len(grants) == round(33_200 * 0.05)
    mix = Counter(g.category for g in grants)
    assert mix.most_common(2)[0][0] in ("5.5c", "5.6")
    assert set(mix) == {"5.1", "5.2", "5.3", "5.4", "5.5a", "5.5b", "5.5c", "5.6", "5.7", "5.8"}
    children = [p for p in world.persons if p.key.startswith("c")]
    assert len(children) == round(103_339 * 0.05)
    assert all(p.date_of_birth > date(2020, 12, 31) for p in children)  # under 6 on 31 December
    assert all(g.effective < date(2026, 1, 1) for g in world.grants)
    assert all(g.effective.year == 2026 for g in world.new_grants)
    assert all(died < recorded for _, died, recorded in world.late_deaths)
    forms = Counter(str(d["form"]) for d in world.donations if not d.get("for_child"))
    assert forms["cash"] > forms["in_kind"] > 0
    cash = sum(int(d["value"]) for d in world.donations if not d.get("for_child"))  # type: ignore[call-overload]
    raised = sum(int(d["value"]) for d in world.donations if d.get("for_child"))  # type: ignore[call-overload]
    assert (cash, raised) == (CENTRE_CASH, RAISED_FOR_ONE_CHILD)
    assert all(date.fromisoformat(str(d["received_on"])) <= TODAY for d in world.donations)
    ages = Counter(p.key[:4] for p in world.persons if p.key.startswith("e"))
    assert ages == {"e90-": round(1_900 * 0.05), "e100": round(160 * 0.05)}


def test_the_categories_live_as_the_law_asks():
    """5.4: a single parent heading a poor household with children under 16 (paid per child of the household);
    5.2: 16 to 22 and studying from the grant's month; 5.7: under 3 at year end; 5.3, 5.5a, 5.5b, 5.8 in a poor or
    near-poor household."""
    world = build(2, 0.05, 2026, date(2026, 12, 1), TODAY)
    grants = [*world.grants, *world.new_grants]
    household_of = {p.key: h for h in world.households for p, _ in h.members}
    study = {p.key: (first, last) for p, first, last in world.study}
    for g in grants:
        p = g.person
        if g.category == "5.4":
            h = household_of[p.key]
            assert h.members[0] == (p, "Chủ hộ") and h.poverty in ("Nghèo", "Cận nghèo")
            kids = [c for c, relation in h.members[1:] if relation == "Con"]
            assert kids and all(date(2026, 12, 31).year - c.date_of_birth.year < 16 for c in kids)
            assert all(c.commune == p.commune for c in kids)
        if g.category in ("5.3", "5.5a", "5.5b", "5.7", "5.8"):
            assert household_of[p.key].poverty in ("Nghèo", "Cận nghèo"), g
        if g.category == "5.2":
            first, last = study[p.key]
            assert first == g.effective < last and 16 <= g.effective.year - p.date_of_birth.year <= 22
        if g.category == "5.7":
            assert p.date_of_birth > date(2023, 12, 31)
        if g.category in ("5.5b", "5.7"):
            assert g.effective >= date(2021, 7, 1)  # Decree 20/2021
    assert set(study) == {g.person.key for g in grants if g.category == "5.2"}


def test_child_protection_cases_go_through_every_stage():
    world = build(2, 0.05, 2026, date(2026, 12, 1), TODAY)
    assert Counter(str(c["depth"]) for c in world.cases).keys() == {"assessed", "support", "care", "closed"}
    assert all(int(c["support"]) > 0 for c in world.cases)  # type: ignore[call-overload]


def test_child_protection_cases_are_reported_before_the_day_the_seed_runs():
    # A case's report time is 09:00 Viet Nam time; one reported "today" would be in the future for the service
    # when the seed runs before 09:00 (it refused the full-scale seed's case at 00:20). Full scale: 120 cases.
    world = build(2, 1.0, 2026, date(2026, 12, 1), TODAY)
    days = [str(c["reported_at"])[:10] for c in world.cases]
    assert len(days) == 120 and max(days) < TODAY.isoformat() and min(days) >= "2026-01-01"
