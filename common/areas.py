"""Records placed in an area, and who may see them (docs/architecture.md, "Administrative units and areas").

A record that belongs to a place carries the three codes of it: ``commune_code``, ``district_code`` (empty for
a 2025 commune) and ``province_code``. Models get them from :class:`AreaColumns`; a read checks them with
:func:`visible_or_404` (404, never 403: a record outside the caller's areas is not revealed to exist) or
:func:`sees`; a query filters with :func:`common.db.in_areas`. ``tests/test_shared_patterns.py`` keeps the
services on these instead of repeating them.
"""

from __future__ import annotations

from typing import Protocol, TypeVar

from sqlalchemy import Text
from sqlalchemy.orm import Mapped, mapped_column

from .errors import NotFound


class AreaColumns:
    """Declarative mixin: the place of a record. A model that needs more on a column (a foreign key to the
    registry's units, a server default) declares that column itself; the others come from here."""

    commune_code: Mapped[str] = mapped_column(Text)
    district_code: Mapped[str] = mapped_column(Text)
    province_code: Mapped[str] = mapped_column(Text)


class Placed(Protocol):
    @property
    def commune_code(self) -> str | None: ...

    @property
    def district_code(self) -> str | None: ...

    @property
    def province_code(self) -> str | None: ...


class SeesAreas(Protocol):
    """A caller limited to areas: :class:`common.auth.Principal`, or a service's reader wrapping one."""

    def may_see_area(self, *codes: str | None) -> bool: ...


Row = TypeVar("Row", bound=Placed)


def sees(who: SeesAreas, row: Placed) -> bool:
    """True if the record's commune, district or province is within the caller's areas."""
    return who.may_see_area(row.commune_code, row.district_code, row.province_code)


def visible_or_404(who: SeesAreas, row: Row | None, what: str) -> Row:
    """``row``, or 404 ``no <what>`` when it is missing or outside the caller's areas (its existence is not
    revealed). ``what`` names it as the problem's ``detail`` does: ``f"person {person_id}"``."""
    if row is None or not sees(who, row):
        raise NotFound(f"no {what}")
    return row
