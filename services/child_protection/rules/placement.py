"""Rules of alternative care (Law on Children 2016 Art 60–69; Decree 56/2017) checked when a placement is
recorded, and the monthly amount paid to a foster carer of an orphan (Decree 20/2021 Art 20). Pure.

* **Kin first**: a placement other than with relatives (``kinship``) records why the child is not placed
  with kin.
* **Siblings together**: a child whose brothers or sisters are also in care is placed with them, unless the
  record says why not.
* **The child is heard**: a child aged 7 or more on the day the placement starts must have been consulted.
* **Age gap**: a carer who is not a relative (foster family, adoption) is at least 20 years older than the
  child (a facility is not a person: no age check).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

CONSULT_FROM_AGE = 7
NON_KIN_MIN_AGE_GAP = 20
FOSTER_UNDER_4 = Decimal("2.5")
FOSTER_FROM_4 = Decimal("1.5")


class PlacementKind(StrEnum):
    KINSHIP = "kinship"
    FOSTER = "foster"
    ADOPTION = "adoption"
    FACILITY = "facility"


@dataclass(frozen=True)
class Placement:
    kind: PlacementKind
    starts_on: date
    child_birth_date: date | None
    carer_birth_date: date | None = None
    non_kin_reason: str | None = None
    siblings_in_care: bool = False
    siblings_together: bool = True
    siblings_reason: str | None = None
    child_consulted: bool = False


@dataclass(frozen=True)
class Problem:
    field: str
    reason: str


def age_on(birth: date, day: date) -> int:
    """Whole years of age on ``day`` (a child born on 29 February turns a year older on 1 March)."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def problems(p: Placement) -> list[Problem]:
    """Every rule the placement breaks (empty when it may be recorded)."""
    out: list[Problem] = []
    person_carer = p.kind in (PlacementKind.FOSTER, PlacementKind.ADOPTION)
    if p.kind is not PlacementKind.KINSHIP and not (p.non_kin_reason or "").strip():
        out.append(Problem("non_kin_reason", "kin come first: say why the child is not placed with relatives"))
    if p.siblings_in_care and not p.siblings_together and not (p.siblings_reason or "").strip():
        out.append(Problem("siblings_reason", "siblings are kept together: say why they are separated"))
    if p.child_birth_date is None:
        if person_carer:
            out.append(
                Problem("child.date_of_birth", "the child's date of birth is needed to check the carer's age gap")
            )
        elif not p.child_consulted:
            out.append(Problem("child_consulted", "the child's age is unknown: record that the child was consulted"))
    else:
        if p.child_birth_date > p.starts_on:
            out.append(Problem("starts_on", "starts before the child's birth"))
        elif age_on(p.child_birth_date, p.starts_on) >= CONSULT_FROM_AGE and not p.child_consulted:
            out.append(Problem("child_consulted", f"a child aged {CONSULT_FROM_AGE} or more must be consulted"))
    if person_carer:
        if p.carer_birth_date is None:
            out.append(Problem("carer_birth_date", "needed for a carer who is not a relative"))
        elif p.child_birth_date is not None and not is_old_enough(p.carer_birth_date, p.child_birth_date):
            out.append(
                Problem(
                    "carer_birth_date",
                    f"a carer who is not a relative is at least {NON_KIN_MIN_AGE_GAP} years older than the child",
                )
            )
    return out


def is_old_enough(carer_birth: date, child_birth: date) -> bool:
    """True when the carer was at least 20 the day the child was born."""
    return age_on(carer_birth, child_birth) >= NON_KIN_MIN_AGE_GAP


def foster_coefficient(child_birth: date, month: date) -> Decimal:
    """× the standard level paid for a month to the foster carer of an orphan (5.1): 2.5 before the month of the
    child's 4th birthday, 1.5 from that month on (a change of level by age applies from the month the birthday
    falls in; payments' ``rules/foster.py`` pays by the same rule)."""
    return FOSTER_UNDER_4 if month.replace(day=1) < date(child_birth.year + 4, child_birth.month, 1) else FOSTER_FROM_4
