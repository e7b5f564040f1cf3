"""Free text the registry stores (names, addresses, documents, reasons, notes): the rules of :mod:`common.types`.

Text typed on one line (a name, an address, a household code, a document, an authority, a short reason) is stored
as NFC without the spaces around it, and refused when it holds a control character (tab and line breaks included:
``\\x00-\\x1f``, ``\\x7f-\\x9f``) or a direction override (U+202A-U+202E, U+2066-U+2069: ``abc\\u202egpj.exe``
shows as ``abcexe.jpg``). Notes and long reasons may span lines: tab and line breaks are allowed there, the rest is
refused the same way. Diacritics are kept: NFC composes them, nothing strips them.

The types below are for pydantic models; :data:`HOSTILE` and :func:`line_problem` / :func:`prose_problem` are for
the bulk imports, which check most rows without a model (one regex search per text cell)."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator

from common.types import NonBlankProse, OneLine, Prose, one_line_problem, prose_problem, text_problem

from .names import normalise_name

__all__ = [
    "HOSTILE",
    "Line",
    "NonBlankProse",
    "OneLine",
    "Prose",
    "SpacedLine",
    "SpacedOneLine",
    "line",
    "line_problem",
    "prose_problem",
]

HOSTILE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
"""Any character one-line text refuses: a single search tells a clean cell (nearly all of them) from one to word a
problem for with :func:`line_problem`."""


def line_problem(value: str) -> str | None:
    """Why ``value`` is not text on one line (NUL, a lone surrogate, a control character, a direction override)."""
    return text_problem(value) or one_line_problem(value)


def line(value: str) -> str:
    """``value`` as stored: NFC, trimmed; ValueError saying why when it is not text on one line (may be empty)."""
    value = unicodedata.normalize("NFC", value).strip()
    if HOSTILE.search(value) and (problem := line_problem(value)):
        raise ValueError(problem)
    return value


Line = Annotated[str, AfterValidator(line)]
""":data:`common.types.OneLine` that may be empty (an optional address, document number or reason sent as ``""``)."""

SpacedLine = Annotated[str, AfterValidator(line), AfterValidator(normalise_name)]
""":data:`Line` with inner runs of spaces made one (names, addresses: as :func:`.names.normalise_name` stores them)."""

SpacedOneLine = Annotated[OneLine, AfterValidator(normalise_name)]
""":data:`common.types.OneLine` (not blank) with inner runs of spaces made one."""
