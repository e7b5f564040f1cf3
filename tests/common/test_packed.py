"""Packed columns (common/packed.py) on real PostgreSQL: every value comes back in its place, NULLs and empty strings
included, and a value that would shift its column is refused."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from common.packed import NULL, SEP, pack, pack_dates, unpack_sql
from common.settings import to_asyncpg_url

HOSTILE = [
    "",
    "Nguyễn Thị Lan",
    'say "hi"',
    "back\\slash",
    "{a,b}",
    "NULL",
    "x,y",
    " spaced ",
    "line\nbreak",
    "tab\there",
    "=1+2",
    "\u202eevil",
    "🙂",
]


@pytest.fixture
async def engine(test_db):
    engine = create_async_engine(to_asyncpg_url(test_db.urls["registry"]))
    yield engine
    await engine.dispose()


async def unpacked(engine, packed: str, sql_type: str = "text") -> list:
    async with engine.connect() as conn:
        return list(await conn.scalar(text(f"SELECT {unpack_sql('p', sql_type)}"), {"p": packed}))


async def test_text_values_nulls_and_empty_strings_come_back_in_their_places(engine) -> None:
    values = [*HOSTILE, None, "", None, *reversed(HOSTILE)]
    assert await unpacked(engine, pack(values)) == values


@pytest.mark.parametrize("values", [[""], [None], ["x"], ["", ""], [None, None], ["", None]])
async def test_one_or_two_values_even_empty_ones_are_one_or_two_elements(engine, values) -> None:
    # string_to_array('') alone would be an empty array: the terminator keeps an empty string an element.
    assert await unpacked(engine, pack(values)) == values


async def test_dates_come_back_as_dates(engine) -> None:
    values = [date(1944, 5, 10), None, date(2026, 12, 31), date(1, 1, 1)]
    assert await unpacked(engine, pack_dates(values), "date") == values


@pytest.mark.parametrize("bad", [f"a{SEP}b", f"{NULL}", f"x{NULL}y", SEP])
def test_a_value_holding_a_separator_is_refused_rather_than_shifting_the_column(bad: str) -> None:
    with pytest.raises(ValueError, match="cannot be packed"):
        pack(["fine", bad, None])


def test_nothing_to_pack_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one value"):
        pack([])


# Any text PostgreSQL can hold (no NUL), without the two separators, or NULL.
_VALUE = st.one_of(
    st.none(), st.text(alphabet=st.characters(blacklist_characters=["\x00", SEP, NULL], blacklist_categories=["Cs"]))
)


@given(st.lists(_VALUE, min_size=1, max_size=30))
def test_any_values_round_trip_in_python_terms(values: list[str | None]) -> None:
    # The same split PostgreSQL does (string_to_array with the NULL marker, then the empty last element trimmed).
    parts = pack(values).split(SEP)
    assert parts[-1] == ""
    assert [None if p == NULL else p for p in parts[:-1]] == values
