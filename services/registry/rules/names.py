"""Vietnamese personal names as people type them: with or without diacritics.

docs/rules.md §8: names are written with diacritics ("Nguyễn Thị Lan") and typed without ("nguyen thi lan").
:func:`name_key` maps both to the same search key. ``đ``/``Đ`` is a letter of its own, not ``d`` plus a
mark, so Unicode decomposition leaves it alone; it is mapped to ``d`` explicitly.
"""

from __future__ import annotations

import unicodedata

from common.tabular import fold

__all__ = ["name_key", "normalise_name"]


def normalise_name(value: str) -> str:
    """The name as stored: NFC, trimmed, inner whitespace collapsed to single spaces."""
    return " ".join(unicodedata.normalize("NFC", value).split())


def name_key(value: str) -> str:
    """Lower-case ASCII key of a name: diacritics removed, ``đ`` → ``d``, single-spaced.

    >>> name_key("Nguyễn Thị Lan")
    'nguyen thi lan'
    """
    return fold(value)
