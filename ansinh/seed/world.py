"""The seeded province as data: who lives where, who is paid what, decided once from ``--seed`` and ``--scale``.

Pure: no I/O, no HTTP. The same seed, scale and year give the same persons (names, birth dates, national IDs),
households, applications and events, so a run that was interrupted and started again sends the same requests.
The figures of the Trà Vinh profile at scale 1.0 are the department's order of magnitude (docs/operations.md,
"Seeding a demo province"); every count is scaled and rounded, with a floor of one where a section would
otherwise be empty.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

# --- the profile ----------------------------------------------------------------------------------------------

TRA_VINH = {
    "beneficiaries": 33_200,  # monthly social allowance at year end
    "children_under_6": 103_339,
    "centre_residents": 116,
    "artisans": 14,
    "turning_90": 1_900,
    "turning_100": 160,
    "late_deaths": 60,  # deaths of beneficiaries recorded months after the fact (recoveries)
    "new_in_year": 1_300,  # beneficiaries approved during the year (the rest before it)
    "emergency": 40,  # emergency reliefs decided in the year
    "cp_cases": 120,  # child-protection cases opened in the year
    "donors": 45,
}
"""Counts at scale 1.0."""

CATEGORY_MIX = (
    ("5.5c", 0.40),
    ("5.6", 0.38),
    ("5.5a", 0.09),
    ("5.1", 0.04),
    ("5.4", 0.03),
    ("5.5b", 0.02),
    ("5.7", 0.015),
    ("5.2", 0.01),
    ("5.8", 0.01),
    ("5.3", 0.005),
)
"""The allowance's category mix (Decree 20/2021 Art 5): elderly of 80 or more without a pension, persons
with a disability, poor elderly with nobody to support them, children without support, single parents of poor
households (paid per child of the household), poor elderly of 75-79 in extremely difficult areas, poor children under
3 there, young people of 16-22 still studying, persons with HIV of poor households, children with HIV (the
department's usual proportions: the first two are four fifths)."""

IN_HOUSEHOLD = {"5.3": "Nghèo", "5.4": "Nghèo", "5.5a": "Nghèo", "5.5b": "Cận nghèo", "5.7": "Nghèo", "5.8": "Nghèo"}
"""Categories whose beneficiary lives in a poor (or near-poor) household, with that status recorded."""

POVERTY_MIX = (("Nghèo", 0.04), ("Cận nghèo", 0.05), ("Mức sống trung bình", 0.06))
"""Poverty status of the households of young children (the rest: none recorded)."""

RESIDENT_GROUPS = (("elderly", 0.36), ("orphan", 0.26), ("disability", 0.22), ("severe_mental_illness", 0.16))

CENTRE_CASH = 905_045_613
"""Cash and goods (valued) the residential centre received in the year (the department's year-end report)."""
RAISED_FOR_ONE_CHILD = 2_950_000_000
"""Raised for one resident child's heart surgery."""

KHMER_FAMILY = ("Thạch", "Kim", "Sơn", "Danh", "Lâm", "Triệu", "Huỳnh", "Trà")

SEED_FILE = Path("seed") / "tra_vinh_admin_units.csv"


def communes_2025() -> list[str]:
    """The 2025 communes (province 86) that the Trà Vinh communes became, sorted."""
    here = Path(__file__).resolve()
    for parent in (*here.parents, Path.cwd()):
        if (parent / SEED_FILE).is_file():
            with (parent / SEED_FILE).open(encoding="utf-8", newline="") as f:
                codes = {c.strip() for row in csv.DictReader(f) for c in row["new_commune_codes"].split(";")}
            return sorted(c for c in codes if c)
    raise FileNotFoundError(f"{SEED_FILE} not found")


def scaled(name: str, scale: float, floor: int = 1) -> int:
    return max(floor, round(TRA_VINH[name] * scale))


# --- persons --------------------------------------------------------------------------------------------------


@dataclass
class Person:
    key: str  # stable within a seed: "b00012", "c00001", …
    full_name: str
    date_of_birth: date
    sex: str  # "male" / "female"
    national_id: str
    commune: str
    address: str
    disability: str = ""  # "Nặng" / "Đặc biệt nặng"
    disability_on: date | None = None

    def row(self) -> list[str]:
        return [
            self.full_name,
            self.date_of_birth.isoformat(),
            "Nữ" if self.sex == "female" else "Nam",
            self.national_id,
            self.commune,
            self.address,
            self.disability,
            self.disability_on.isoformat() if self.disability_on else "",
        ]


PERSON_HEADER = [
    "Họ và tên",
    "Ngày sinh",
    "Giới tính",
    "Số CCCD",
    "Mã xã",
    "Địa chỉ",
    "Mức độ khuyết tật",
    "Ngày xác nhận khuyết tật",
]


@dataclass
class Household:
    code: str
    commune: str
    address: str
    members: list[tuple[Person, str]]  # (person, relationship label)
    poverty: str = ""  # "" or a label of POVERTY_MIX
    poverty_from: date | None = None


@dataclass
class Grant:
    """A beneficiary to be: an application for ``category`` approved with ``effective`` (a month, first day)."""

    person: Person
    category: str
    effective: date
    signed: date


@dataclass
class World:
    seed: int
    scale: float
    year: int
    communes: list[str]
    persons: list[Person] = field(default_factory=list)
    households: list[Household] = field(default_factory=list)
    grants: list[Grant] = field(default_factory=list)  # approved before the year
    study: list[tuple[Person, date, date]] = field(default_factory=list)  # (person, first month, last month)
    new_grants: list[Grant] = field(default_factory=list)  # approved during the year (effective that month)
    residents: list[tuple[Person, str]] = field(default_factory=list)
    artisans: list[tuple[Person, str, int]] = field(default_factory=list)
    late_deaths: list[tuple[Person, date, date]] = field(default_factory=list)  # (person, died, recorded month)
    emergencies: list[dict[str, object]] = field(default_factory=list)
    donations: list[dict[str, object]] = field(default_factory=list)
    cases: list[dict[str, object]] = field(default_factory=list)


class _Ids:
    """National IDs that agree with the birth date and sex (rules.md §8) and never repeat within a seed: the
    six serial digits are a counter per (century-and-sex digit, year) spread by a multiplier prime to 10^6."""

    def __init__(self, seed: int) -> None:
        self.counters: dict[tuple[int, int], int] = {}
        self.offset = (seed * 104_729) % 1_000_000

    def next(self, born: date, sex: str) -> str:
        digit = (born.year // 100 - 19) * 2 + (1 if sex == "female" else 0)
        n = self.counters.get((digit, born.year), 0)
        self.counters[(digit, born.year)] = n + 1
        serial = (self.offset + n * 7_919) % 1_000_000
        return f"084{digit}{born.year % 100:02d}{serial:06d}"


def _pick(rng: random.Random, mix: tuple[tuple[str, float], ...]) -> str:
    x, acc = rng.random(), 0.0
    for value, share in mix:
        acc += share
        if x < acc:
            return value
    return mix[-1][0]


def _split(total: int, parts: int, rng: random.Random) -> list[int]:
    """``total`` in ``parts`` positive whole amounts (thousands of VND but the last), summing exactly."""
    weights = [rng.uniform(0.3, 3.0) for _ in range(parts)]
    amounts = [max(1_000, int(total * w / sum(weights)) // 1_000 * 1_000) for w in weights[:-1]]
    return [*amounts, total - sum(amounts)]


def build(seed: int, scale: float, year: int, through: date, today: date) -> World:
    """The province for ``seed`` at ``scale``; ``through`` is the last month paid (its first day), ``today`` caps
    every date reported (nothing is received or reported in the future)."""
    from faker import Faker  # a development dependency (pyproject.toml [dev]); the seed is a demo tool

    rng = random.Random(seed)
    fake = Faker("vi_VN")
    fake.seed_instance(seed)
    ids = _Ids(seed)
    world = World(seed=seed, scale=scale, year=year, communes=communes_2025())
    year_end = date(year, 12, 31)

    def person(key: str, born: date, sex: str | None = None, commune: str | None = None) -> Person:
        sex = sex or rng.choice(("male", "female"))
        name = full_name(sex)
        place = commune or rng.choice(world.communes)
        p = Person(
            key=key,
            full_name=name,
            date_of_birth=born,
            sex=sex,
            national_id=ids.next(born, sex),
            commune=place,
            address=f"Ấp {fake.street_name()}",
        )
        world.persons.append(p)
        return p

    def full_name(sex: str) -> str:
        """Family name first, as Vietnamese names are written; about a third Khmer family names (Trà Vinh)."""
        family = rng.choice(KHMER_FAMILY) if rng.random() < 0.31 else fake.last_name()
        given = fake.first_name_female() if sex == "female" else fake.first_name_male()
        middle = (
            rng.choice(("Thị", "Thị", fake.middle_name()))
            if sex == "female"
            else rng.choice(("Văn", "Văn", fake.middle_name()))
        )
        return f"{family} {middle} {given}"

    def born_between(first: date, last: date) -> date:
        return first + timedelta(days=rng.randrange((last - first).days + 1))

    def past(day: date) -> date:
        return min(day, today)

    # Beneficiaries of the monthly allowance, by category; most decided before the year, some during it.
    total = scaled("beneficiaries", scale)
    new_in_year = min(total - 1, scaled("new_in_year", scale)) if total > 1 else 0
    months_in_year = max(1, through.month)
    for i in range(total):
        category = _pick(rng, CATEGORY_MIX)
        if category == "5.5c":
            born = born_between(date(year - 98, 1, 1), date(year - 81, 12, 31))
        elif category == "5.5a":
            born = born_between(date(year - 79, 1, 1), date(year - 61, 12, 31))
        elif category == "5.5b":
            born = born_between(date(year - 79, 1, 1), date(year - 76, 12, 31))
        elif category in ("5.1", "5.3"):
            born = born_between(date(year - 14, 1, 1), date(year - 2, 12, 31))
        elif category == "5.2":
            born = born_between(date(year - 21, 1, 1), date(year - 18, 12, 31))
        elif category == "5.7":
            born = born_between(date(year - 2, 1, 1), date(year - 2, 10, 31))
        elif category == "5.4":
            born = born_between(date(year - 45, 1, 1), date(year - 22, 12, 31))
        elif category == "5.8":
            born = born_between(date(year - 60, 1, 1), date(year - 25, 12, 31))
        else:
            born = born_between(date(year - 85, 1, 1), date(year - 17, 12, 31))
        p = person(f"b{i:06d}", born, "female" if category == "5.4" and rng.random() < 0.85 else None)
        if category == "5.6":
            p.disability = rng.choice(("Nặng", "Nặng", "Đặc biệt nặng"))
            p.disability_on = born_between(max(born + timedelta(days=400), date(2015, 1, 1)), date(year - 1, 6, 30))
        # 5.2: from the month after the 16th birthday (not before the decree), the single parent from last year (her
        # household is recorded from then), the others from two months after birth or the decree.
        if category == "5.2":
            earliest = max(date(2021, 7, 1), born.replace(year=born.year + 16, day=1) + timedelta(days=32))
        elif category == "5.4":
            earliest = date(year - 1, 1, 1)
        else:
            earliest = max(date(2021, 7, 1), born + timedelta(days=62))
        if i < new_in_year:
            month = date(year, 1 + i % months_in_year, 1)
            grant = Grant(p, category, month, month + timedelta(days=rng.randrange(0, 10)))
            world.new_grants.append(grant)
        else:
            start = (
                born_between(earliest, date(year - 1, 12, 1))
                if earliest < date(year - 1, 12, 1)
                else date(year - 1, 12, 1)
            )
            month = start.replace(day=1)
            grant = Grant(p, category, month, month + timedelta(days=rng.randrange(0, 10)))
            world.grants.append(grant)
        if category == "5.2":  # studying from the grant's month to the end of next school year
            world.study.append((p, grant.effective, date(year + 1, 6, 1)))
    # Those of poor households live in one: alone (elderly, HIV), with a parent (children), or raising their
    # children (the single parent of 5.4, paid per child counted from the household).
    for n, g in enumerate([*world.grants, *world.new_grants]):
        status = IN_HOUSEHOLD.get(g.category)
        if status is None:
            continue
        members = [(g.person, "Chủ hộ")]
        if g.category in ("5.3", "5.7"):
            parent = person(
                f"m{n:06d}-0", born_between(date(year - 45, 1, 1), date(year - 22, 12, 31)), None, g.person.commune
            )
            parent.address = g.person.address
            members = [(parent, "Chủ hộ"), (g.person, "Con")]
        elif g.category == "5.4":
            for j in range(rng.choice((1, 1, 2, 2, 3))):
                first_born = max(
                    g.person.date_of_birth.replace(day=1) + timedelta(days=18 * 366), date(year - 14, 1, 1)
                )
                child = person(
                    f"m{n:06d}-{j + 1}", born_between(first_born, date(year - 1, 12, 31)), None, g.person.commune
                )
                child.address = g.person.address
                members.append((child, "Con"))
        world.households.append(
            Household(
                code=f"HGD-S{seed}-{g.person.key}",
                commune=g.person.commune,
                address=g.person.address,
                members=members,
                poverty=status,
                poverty_from=date(year - 1, 1, 1),
            )
        )

    # A few die and the death reaches the registry two or three months later: the months paid become recoveries.
    late = min(scaled("late_deaths", scale, floor=1), len(world.grants))
    if through.month >= 4:
        for g in rng.sample(world.grants, late):
            recorded = date(year, rng.randrange(4, through.month + 1), 1)
            back = rng.choice((2, 3))
            died_month = date(recorded.year, recorded.month - back, 1)
            world.late_deaths.append((g.person, died_month + timedelta(days=rng.randrange(0, 27)), recorded))

    # Children under 6 at year end, in households with a parent (most), a few with their poverty status.
    children = scaled("children_under_6", scale)
    made = 0
    while made < children:
        commune = rng.choice(world.communes)
        address = f"Ấp {fake.street_name()}"
        parent_sex = rng.choice(("female", "female", "male"))
        parent = person(
            f"p{len(world.households):06d}",
            born_between(date(year - 42, 1, 1), date(year - 20, 12, 31)),
            parent_sex,
            commune,
        )
        parent.address = address
        members = [(parent, "Chủ hộ")]
        for _ in range(min(children - made, rng.choice((1, 1, 1, 2, 2, 3)))):
            born = born_between(date(year - 5, 1, 1), min(year_end, through, today))
            child = person(f"c{made:06d}", born, None, commune)
            child.address = address
            members.append((child, "Con"))
            made += 1
        status = _pick(rng, (*POVERTY_MIX, ("", 1.0)))
        world.households.append(
            Household(
                code=f"HGD-{seed}-{len(world.households):06d}",
                commune=commune,
                address=address,
                members=members,
                poverty=status,
                poverty_from=date(year, 1, 1) if status else None,
            )
        )

    # The elderly who reach 90 and 100 in the year (longevity gifts).
    for age, name in ((90, "turning_90"), (100, "turning_100")):
        for i in range(scaled(name, scale)):
            person(f"e{age}-{i:05d}", born_between(date(year - age, 1, 1), date(year - age, 12, 31)))

    # The residential centre's residents, by group.
    for i in range(scaled("centre_residents", scale)):
        group = "orphan" if i == 0 else _pick(rng, RESIDENT_GROUPS)  # the child the money was raised for
        if group == "orphan":
            born = born_between(date(year - 15, 1, 1), date(year - 2, 12, 31))
        elif group == "elderly":
            born = born_between(date(year - 95, 1, 1), date(year - 62, 12, 31))
        else:
            born = born_between(date(year - 60, 1, 1), date(year - 18, 12, 31))
        world.residents.append((person(f"r{i:05d}", born, None, world.communes[0]), group))

    # Artisans (Decree 109/2015): people's artisans 1,000,000; meritorious 850,000 or 700,000.
    for i in range(scaled("artisans", scale)):
        p = person(f"a{i:04d}", born_between(date(year - 85, 1, 1), date(year - 55, 12, 31)))
        title, amount = rng.choice(
            (("nghe_nhan_nhan_dan", 1_000_000), ("nghe_nhan_uu_tu", 850_000), ("nghe_nhan_uu_tu", 700_000))
        )
        world.artisans.append((p, title, amount))

    # Emergency relief after the year's storms and floods.
    kinds = (
        ("house_damaged", 20_000_000),
        ("house_destroyed", 40_000_000),
        ("injury", 10_000_000),
        ("relocation", 30_000_000),
        ("funeral", 27_000_000),
    )
    for i in range(scaled("emergency", scale)):
        kind, amount = rng.choice(kinds)
        occurred = past(date(year, rng.randrange(1, through.month + 1), rng.randrange(1, 28)))
        world.emergencies.append(
            {
                "key": f"x{i:04d}",
                "kind": kind,
                "recipient_name": full_name(rng.choice(("male", "female"))),
                "commune_code": rng.choice(world.communes),
                "disaster": f"Mưa lớn, lốc xoáy {occurred.strftime('%d/%m/%Y')}",
                "occurred_on": occurred.isoformat(),
                "amount": amount,
                "decision": f"QĐ {100 + i}/QĐ-UBND",
            }
        )

    # The centre's donations: the year's cash to the centre, and the money raised for one child's surgery.
    donors = scaled("donors", scale, floor=3)
    goods = (
        "Gạo, sữa và nhu yếu phẩm",
        "50 thùng sữa, 200 kg gạo",
        "Quần áo, chăn màn cho người cao tuổi",
        "Tập vở, đồ dùng học tập cho các em",
        "Xe lăn và dụng cụ tập vật lý trị liệu",
    )
    for i, value in enumerate(_split(CENTRE_CASH, donors, rng)):
        day = past(date(year, 1 + i % through.month, 1 + rng.randrange(0, 27)))
        in_kind = i % 3 == 1  # about a third in goods, valued on the receipt
        world.donations.append(
            {
                "key": f"d{i:04d}",
                "donor": fake.company() if i % 4 else f"Nhà hảo tâm {full_name(rng.choice(('male', 'female')))}",
                "received_on": day.isoformat(),
                "form": "in_kind" if in_kind else "cash",
                "value": value,
                "description": rng.choice(goods) if in_kind else "Ủng hộ Trung tâm",
                "document": f"{'BBGN' if in_kind else 'PT'} {i + 1:03d}/{year}",
            }
        )
    for i, value in enumerate(_split(RAISED_FOR_ONE_CHILD, 3, rng)):
        world.donations.append(
            {
                "key": f"t{i:04d}",
                "donor": fake.company(),
                "form": "cash",
                "value": value,
                "received_on": past(date(year, through.month, 1 + i)).isoformat(),
                "description": "Điều trị bệnh tim cho một cháu tại Trung tâm",
                "for_child": True,
            }
        )

    # Child-protection cases reported in the year.
    sources = ("hotline_111", "police", "school", "community")
    for i in range(scaled("cp_cases", scale, floor=4)):
        # At 09:00 Viet Nam time, so never later than yesterday: today's 09:00 is still ahead before 09:00 (the
        # service refuses a report from the future).
        reported = min(date(year, rng.randrange(1, through.month + 1), rng.randrange(1, 28)), today - timedelta(days=1))
        sex = rng.choice(("male", "female"))
        world.cases.append(
            {
                "key": f"k{i:04d}",
                "source": rng.choice(sources),
                "reported_at": f"{reported.isoformat()}T09:00:00+07:00",
                "report": "Trẻ bị bỏ rơi, không có người chăm sóc",
                "child": {
                    "full_name": full_name(sex),
                    "sex": sex,
                    "commune_code": rng.choice(world.communes),
                    "date_of_birth": born_between(date(year - 14, 1, 1), date(year - 1, 12, 31)).isoformat(),
                },
                "risk_level": rng.choice(("low", "medium", "high")),
                # How far the case went in the year: assessed only, a plan carried out (support given, some
                # children in alternative care with relatives), or reviewed and closed.
                "depth": ("care", "closed", "support", "assessed")[i % 4] if reported < today else "assessed",
                "support": rng.choice((1_000_000, 2_000_000, 3_000_000, 5_000_000)),
                "carer": f"{full_name('female')}, bà ngoại của trẻ",
            }
        )
    return world
