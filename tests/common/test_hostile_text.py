"""Properties of the text rules every hostile input meets: ``OneLine`` / ``Prose`` either refuse a text or store one
without control characters or direction overrides, in NFC; every text cell written to XLSX opens again, with a
formula never live."""

import io
import unicodedata

import openpyxl
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from common import tabular
from common.types import NonBlankProse, OneLine, Prose

# Text as attackers and careless partners send it: letters with and without combining marks, every control
# character, direction overrides, formula starters, spaces of several kinds.
HOSTILE = st.text(
    st.one_of(
        st.sampled_from("aAđĐ ễ\u0302\u0303\u0323=+-@'\t\r\n\x0b\x0c\x1b\x7f\x85\u00a0\u2028\u202e\u2066\u2069\u200b"),
        st.characters(codec="utf-8", exclude_categories=("Cs",)),
    ),
    max_size=40,
)
ONE_LINE, PROSE, NON_BLANK = TypeAdapter(OneLine), TypeAdapter(Prose), TypeAdapter(NonBlankProse)
OVERRIDES = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def controls(value: str) -> set[str]:
    return {c for c in value if ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F}


@given(HOSTILE)
@example("  Nguye\u0302\u0303n An\u00a0")
@example("An\u202egnàoH")
def test_one_line_is_refused_or_stored_clean(value):
    try:
        stored = ONE_LINE.validate_python(value)
    except ValidationError:
        assert (
            not unicodedata.normalize("NFC", value).strip()
            or controls(value)
            or OVERRIDES & set(value)
            or "\x00" in value
        )
        return
    assert stored == unicodedata.normalize("NFC", value).strip() and stored
    assert not controls(stored) and not OVERRIDES & set(stored)


@given(HOSTILE)
def test_prose_keeps_tabs_and_line_breaks_only(value):
    try:
        stored = PROSE.validate_python(value)
    except ValidationError:
        assert controls(value) - set("\t\n\r") or OVERRIDES & set(value)
        return
    assert stored == unicodedata.normalize("NFC", value)
    assert controls(stored) <= set("\t\n\r") and not OVERRIDES & set(stored)
    with pytest.raises(ValidationError) if not stored.strip() else _nothing():
        NON_BLANK.validate_python(value)


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@given(st.lists(HOSTILE, min_size=1, max_size=4))
@example(['=HYPERLINK("http://x")', "\tcmd", "a\x01b", "-1+1"])
def test_every_text_cell_written_to_xlsx_opens_again_and_is_never_a_formula(cells):
    book = openpyxl.load_workbook(io.BytesIO(tabular.write_xlsx(["A", "B", "C", "D"], [cells])), read_only=True)
    [_, row] = list(book.worksheets[0].iter_rows(values_only=True))
    for written, read in zip(cells, row, strict=False):
        if not written:
            continue
        expected = tabular.xlsx_text(tabular.safe_cell(written))
        assert read == expected.replace("\r\n", "\n").replace("\r", "\n")  # XML reads every line end as LF
        assert not str(read).startswith(tabular.FORMULA_STARTS)
