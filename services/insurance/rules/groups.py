"""Card groups (Decree 146/2018 Art 3–4; rules.md §6) and how one card is chosen among several entitlements.

The numbers (benefit level, state share, statutory order) are data: the migration seeds them and the
``/insurance/parameters`` API changes them. These functions only take them as input."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

TE, BT, HN, CN, GB, HS, SV = "TE", "BT", "HN", "CN", "GB", "HS", "SV"


@dataclass(frozen=True, slots=True)
class Group:
    """A card group: ``code`` (also the 2-letter object code printed at the start of the card code),
    ``benefit_level`` (1 pays the most), the state's share of the contribution and the statutory order that
    breaks a tie between groups of the same benefit level (lower first)."""

    code: str
    name: str
    benefit_level: int
    state_share: Decimal
    statutory_order: int

    @property
    def fully_state_funded(self) -> bool:
        return self.state_share >= 1


DEFAULT_GROUPS: tuple[Group, ...] = (
    Group(TE, "Trẻ em dưới 6 tuổi", 1, Decimal("1"), 1),
    Group(BT, "Người hưởng trợ cấp xã hội hằng tháng", 2, Decimal("1"), 2),
    Group(HN, "Người thuộc hộ nghèo", 2, Decimal("1"), 3),
    Group(CN, "Người thuộc hộ cận nghèo", 3, Decimal("0.7"), 4),
    Group(GB, "Hộ nông, lâm, ngư, diêm nghiệp có mức sống trung bình", 4, Decimal("0.3"), 5),
    Group(HS, "Học sinh", 4, Decimal("0.3"), 6),
    Group(SV, "Sinh viên", 4, Decimal("0.3"), 7),
)
"""The values of rules.md §6 (state shares are the statutory minima; a province may pay more)."""


def rank(group: Group) -> tuple[int, int, str]:
    """Sort key: highest benefit (lowest level number) first, then statutory order."""
    return (group.benefit_level, group.statutory_order, group.code)


def choose(entitled: set[str] | frozenset[str], groups: dict[str, Group]) -> str | None:
    """The one card among the groups a person is entitled to on a day: the highest benefit, first in statutory
    order on a tie (a person both BT and HN gets BT). None when entitled to nothing. Unknown codes are ignored."""
    known = [groups[c] for c in entitled if c in groups]
    return min(known, key=rank).code if known else None
