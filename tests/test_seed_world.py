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
    assert mix.most_common(2)[0][0] in ("5.5c", "5.6") and set(mix) == {"5.5c", "5.6", "5.5a", "5.1"}
    children = [p for p in world.persons if p.key.startswith("c")]
    assert len(children) == round(103_339 * 0.05)
    assert all(p.date_of_birth > date(2020, 12, 31) for p in children)  # under 6 on 31 December
    assert all(g.effective < date(2026, 1, 1) for g in world.grants)
    assert all(g.effective.year == 2026 for g in world.new_grants)
    assert all(died < recorded for _, died, recorded in world.late_deaths)
    cash = sum(int(d["value"]) for d in world.donations if not d.get("for_child"))  # type: ignore[call-overload]
    raised = sum(int(d["value"]) for d in world.donations if d.get("for_child"))  # type: ignore[call-overload]
    assert (cash, raised) == (CENTRE_CASH, RAISED_FOR_ONE_CHILD)
    assert all(date.fromisoformat(str(d["received_on"])) <= TODAY for d in world.donations)
    ages = Counter(p.key[:4] for p in world.persons if p.key.startswith("e"))
    assert ages == {"e90-": round(1_900 * 0.05), "e100": round(160 * 0.05)}
