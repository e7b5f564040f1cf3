"""Columns of a bulk statement sent as one text parameter each, split back into an array by PostgreSQL.

A bulk insert sends its rows as one array per column (``unnest(CAST(:c AS text[]))``). asyncpg encodes an array
element by element and asks of each whether it is itself a nested array (``isinstance`` against the ``Iterable``,
``Sized`` and ``Mapping`` ABCs): for a chunk of 10,000 persons, 140,000 checks, about 40 ms of the event loop's time
while the database waits for the statement. One string per column costs Python a ``str.join`` and PostgreSQL a
``string_to_array``, measured as the cheaper of the two (docs/benchmarks.md, the registry import).

The format: every value is followed by U+001F (unit separator); a NULL is U+001E (record separator) in its place.
Neither may occur in a value: :func:`pack` refuses such a value (``ValueError``) rather than shift the column's
values by one. The text that reaches the registry has no control characters (its input rules refuse them), so this
is a guard against a bug, not a rule partners meet. The ``SEP`` ending the last value yields an empty last element,
which :func:`unpack_sql` trims: an empty string stays one element (``string_to_array('')`` alone would be ``{}``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

SEP = "\x1f"
NULL = "\x1e"


def pack(values: Sequence[str | None]) -> str:
    """``values`` (at least one) as one parameter for :func:`unpack_sql`."""
    if not values:
        raise ValueError("nothing to pack: a packed column has at least one value")
    packed = SEP.join([NULL if v is None else v for v in values]) + SEP
    nulls = sum(1 for v in values if v is None) if NULL in packed else 0
    if packed.count(SEP) != len(values) or packed.count(NULL) != nulls:
        raise ValueError("a value holds U+001E or U+001F, which cannot be packed")
    return packed


def pack_dates(values: Sequence[date | None]) -> str:
    """Dates (or NULLs) as one parameter for ``unpack_sql(param, "date")`` (ISO 8601)."""
    return pack([None if d is None else d.isoformat() for d in values])


def unpack_sql(param: str, sql_type: str = "text") -> str:
    """The SQL array of the values packed into the bound parameter ``:param``, as ``sql_type[]``."""
    split = f"trim_array(string_to_array(CAST(:{param} AS text), E'\\x1f', E'\\x1e'), 1)"
    return split if sql_type == "text" else f"CAST({split} AS {sql_type}[])"
