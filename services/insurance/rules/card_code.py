"""The 15-character card code (Decision 1351/QĐ-BHXH; rules.md §6): object code (2 letters), benefit level
(1 digit), province code of the issuing office (2 digits), social-insurance number (10 digits)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from .groups import Group

_CODE = re.compile(r"^([A-Z]{2})([1-5])(\d{2})(\d{10})$")

MERGER_DAY = date(2025, 7, 1)
OLD_PROVINCE = "84"
"""Trà Vinh's office: cards issued before the merger."""
NEW_PROVINCE = "86"
"""The merged Vĩnh Long's office: cards issued from 2025-07-01 (rules.md §6, to verify; a setting)."""


def issuing_province(issued_on: date, *, old: str = OLD_PROVINCE, new: str = NEW_PROVINCE) -> str:
    """The province code an office issuing a card on ``issued_on`` prints in it."""
    return new if issued_on >= MERGER_DAY else old


@dataclass(frozen=True, slots=True)
class CardCode:
    object_code: str
    benefit_level: int
    province: str
    number: str
    """The 10-digit social-insurance number, the part printed on cards since 2021."""

    def __str__(self) -> str:
        return f"{self.object_code}{self.benefit_level}{self.province}{self.number}"


def parse(code: str) -> CardCode | None:
    m = _CODE.match(code.strip().upper())
    if m is None:
        return None
    return CardCode(m.group(1), int(m.group(2)), m.group(3), m.group(4))


def problems(code: str, group: Group, issuing: str) -> list[str]:
    """Why ``code`` cannot be the card of ``group`` issued by the office of province ``issuing`` (empty: valid)."""
    card = parse(code)
    if card is None:
        return ["a card code is 15 characters: 2 letters, the benefit level, 2-digit province, 10-digit number"]
    out = []
    if card.object_code != group.code:
        out.append(f"object code {card.object_code} is not the group's {group.code}")
    if card.benefit_level != group.benefit_level:
        out.append(f"benefit level {card.benefit_level} is not the group's {group.benefit_level}")
    if card.province != issuing:
        out.append(f"province {card.province} is not the issuing office's {issuing}")
    return out
