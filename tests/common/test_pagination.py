"""Keyset cursors (common/pagination.py): what a page hands out comes back typed; anything else is a 422."""

import uuid
from datetime import date

import pytest

from common.errors import ValidationFailed
from common.pagination import KEYSET_INT, encode_cursor, keyset


def test_a_cursor_comes_back_as_the_typed_keyset_position():
    row = uuid.uuid4()
    assert keyset(encode_cursor(["nguyen thi lan", str(row)]), str, uuid.UUID) == ("nguyen thi lan", row)
    assert keyset(encode_cursor(["2026-03-01", str(row)]), date.fromisoformat, uuid.UUID) == (date(2026, 3, 1), row)
    assert keyset(encode_cursor([42]), KEYSET_INT) == (42,)
    assert keyset(None, str) is None and keyset("", str) is None


@pytest.mark.parametrize(
    "cursor, kinds",
    [
        ("not base64 json!", (str, uuid.UUID)),
        (encode_cursor(["a"]), (str, uuid.UUID)),  # too few values
        (encode_cursor(["a", "not-a-uuid"]), (str, uuid.UUID)),
        (encode_cursor(["2026-13-01", str(uuid.uuid4())]), (date.fromisoformat, uuid.UUID)),
        (encode_cursor(["42"]), (KEYSET_INT,)),  # an id must be a JSON integer
        (encode_cursor([True]), (KEYSET_INT,)),
    ],
)
def test_anything_else_is_a_422_naming_the_cursor(cursor, kinds):
    with pytest.raises(ValidationFailed) as problem:
        keyset(cursor, *kinds)
    assert problem.value.extensions["errors"] == [
        {"field": "query.cursor", "reason": "not a cursor returned by this API"}
    ]
