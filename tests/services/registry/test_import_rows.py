"""The persons import checks rows without a model when it can prove them valid: the same answers as ``PersonCreate``
and the national-ID rule (hypothesis), and the same name keys, word by word."""

from datetime import date, timedelta
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from common import clock
from services.registry.imports.service import _name_keys
from services.registry.persons.schemas import PersonCreate, accept_new_person
from services.registry.rules.names import name_key, normalise_name
from services.registry.rules.national_id import PROVINCE_CODES, validate_national_id
from services.registry.rules.person import Sex


def by_the_model(values: dict[str, Any]) -> dict[str, Any] | None:
    """What the import made of a row before: ``PersonCreate``, then the national-ID rule; None if either refuses."""
    try:
        body = PersonCreate.model_validate(values)
    except ValidationError:
        return None
    if body.national_id is not None and validate_national_id(body.national_id, body.date_of_birth, Sex(body.sex)):
        return None
    return body.model_dump(exclude={"hiv_status"})


HOSTILE = ["\n", "\x1b", "\x85", "\u202e", "\u2066"]
"""Control characters and direction overrides: the model refuses them, so the fast path must not take them."""
WORDS = ["Nguyễn", "Trần", "Thị", "Văn", "Lan", "Đức", "Hương", "Thạch", "Sơn", "Ánh", "Ngọc", "Phương"]
names = st.one_of(
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=5).map(" ".join),
    st.lists(st.sampled_from([*WORDS, " ", "  ", "\t", "\u00a0", "1", "-", "'", *HOSTILE]), max_size=8).map("".join),
    st.text(max_size=12),
    st.text(alphabet="aăâđêôơư ", min_size=195, max_size=205),
)
days = st.dates(date(1890, 1, 1), date(2035, 12, 31))
sexes = st.sampled_from(["male", "female", "other"])
texts = st.one_of(
    st.none(),
    st.text(max_size=6),
    st.text(alphabet="ấp 3\u00a0", min_size=95, max_size=305),
    st.lists(st.sampled_from(["Ấp", "3", " ", *HOSTILE]), max_size=6).map("".join),
    st.sampled_from([98, 99, 100, 101, 102, 298, 299, 300, 301, 302]).map(lambda n: "ấ" * n),
)
phones = st.one_of(st.none(), st.sampled_from(["0912345678", "+84 294 3855 123", "84912345678", "123", "09123"]))


@st.composite
def national_ids(draw: st.DrawFn, born: date, sex: str) -> str | None:
    kind = draw(st.integers(0, 5))
    if kind == 0:
        return None
    if kind <= 2:  # mostly one that agrees, sometimes with one digit changed
        digit = (0 if sex == "male" else 1) + 2 * ((born.year - 1900) // 100)
        province = draw(st.sampled_from(["084", "079", "000", "099"]))
        value = f"{province}{digit}{born.year % 100:02d}{draw(st.integers(0, 999_999)):06d}"
        if kind == 2:
            at = draw(st.integers(0, 11))
            value = value[:at] + draw(st.sampled_from("0123456789٣x ")) + value[at + 1 :]
        return value
    return draw(st.text(alphabet="0123456789١ -", max_size=13))


@st.composite
def rows(draw: st.DrawFn) -> dict[str, Any]:
    """A persons row as the import reads it (the empty cells left out), valid or not."""
    born, sex = draw(days), draw(sexes)
    values: dict[str, Any] = {
        "full_name": draw(names),
        "date_of_birth": born,
        "sex": sex,
        "national_id": draw(national_ids(born, sex)),
        "commune_code": draw(st.one_of(st.sampled_from(["29236", "99101"]), st.text(max_size=12))),
        "address_line": draw(texts),
        "phone": draw(phones),
        "ethnicity": draw(texts),
        "disability_level": draw(st.sampled_from([None, "severe", "extremely_severe", "moderate"])),
        "disability_certified_on": draw(st.one_of(st.none(), days)),
    }
    for optional in draw(st.sets(st.sampled_from(["full_name", "date_of_birth", "sex", "commune_code"]), max_size=1)):
        values[optional] = None
    return {k: v for k, v in values.items() if v is not None}


@settings(max_examples=600, deadline=None)
@given(rows())
@example({"full_name": "  Nguyễn   Thị Lan ", "date_of_birth": date(1950, 3, 2), "sex": "female", "commune_code": "1"})
@example({"full_name": "123", "date_of_birth": date(1950, 3, 2), "sex": "female", "commune_code": "29236"})
def test_a_row_taken_without_the_model_is_what_the_model_and_the_id_rule_make_of_it(values):
    fast = accept_new_person(values, clock.today(), PROVINCE_CODES)
    if fast is not None:
        assert fast == by_the_model(values)
        assert type(fast["sex"]) is Sex


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=4).map(" ".join),
    st.dates(date(1930, 1, 1), clock.today() - timedelta(days=1)),
    sexes.filter(lambda s: s != "other"),
    st.integers(0, 999_999),
    st.booleans(),
    phones.filter(lambda p: p is None or len(p) > 5),
)
def test_realistic_valid_rows_are_all_taken_without_the_model(name, born, sex, serial, with_id, phone):
    digit = (0 if sex == "male" else 1) + 2 * ((born.year - 1900) // 100)
    values: dict[str, Any] = {"full_name": name, "date_of_birth": born, "sex": sex, "commune_code": "29236"}
    if with_id:
        values["national_id"] = f"084{digit}{born.year % 100:02d}{serial:06d}"
    if phone:
        values["phone"] = phone
    values |= {"address_line": "Ấp 3", "ethnicity": "Khmer"}
    fast = accept_new_person(values, clock.today(), PROVINCE_CODES)
    assert fast is not None and fast == by_the_model(values)


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(max_size=30), st.lists(st.sampled_from([*WORDS, "Ðặng", "ǅ", "´a", "x\u0301"])).map(" ".join)))
def test_name_keys_word_by_word_are_the_name_keys_of_the_whole_name(raw):
    stored = normalise_name(raw)
    key = _name_keys()
    assert key(stored) == name_key(stored)
    assert key(stored) == name_key(stored)  # from the memo, too
