"""Request and response bodies of the persons API."""

from __future__ import annotations

import re
import uuid
from collections.abc import Container
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from common import clock

from ..rules.names import normalise_name
from ..rules.person import Sex
from ..rules.text import HOSTILE, Line, SpacedLine, line

EARLIEST_BIRTH = date(1900, 1, 1)
_PHONE = re.compile(r"^(?:\+84|84|0)(?:[35789]\d{8}|2\d{9})$")
"""Mobile (03x, 05x, 07x, 08x, 09x + 8 digits) or landline (02xx + 8 digits), national or +84 form."""

DisabilityLevel = Literal["severe", "extremely_severe"]
HivStatus = Literal["positive", "negative", "unknown"]


def _full_name(value: str) -> str:
    value = normalise_name(value)
    if not value:
        raise ValueError("must not be empty")
    if len(value) > 200:
        raise ValueError("must be at most 200 characters")
    if not any(ch.isalpha() for ch in value):
        raise ValueError("must contain letters")
    return value


def _birth_date(value: date) -> date:
    if value < EARLIEST_BIRTH:
        raise ValueError("must not be before 1900-01-01")
    if value > clock.today():
        raise ValueError("must not be in the future")
    return value


def _phone(value: str | None) -> str | None:
    if value is None:
        return None
    compact = re.sub(r"[\s.\-()]", "", value)
    if not _PHONE.match(compact):
        raise ValueError("must be a Vietnamese phone number, e.g. 0912345678 or +84 294 3855 123")
    return "0" + compact.removeprefix("+").removeprefix("84") if not compact.startswith("0") else compact


def _blank_is_none(value: Any) -> Any:
    """An optional text sent empty (``""``, spaces) is not given, as an empty cell of an import is."""
    return None if isinstance(value, str) and not value.strip() else value


# A name is text on one line (no control character, no direction override), NFC, single-spaced.
FullName = Annotated[str, AfterValidator(line), AfterValidator(_full_name), Field(examples=["Nguyễn Thị Lan"])]
BirthDate = Annotated[date, AfterValidator(_birth_date)]
Phone = Annotated[str | None, AfterValidator(_phone), Field(examples=["0912345678"])]
NationalId = Annotated[str | None, Field(examples=["084190012345"], description="12-digit CCCD number")]
Code = Annotated[str, Field(min_length=1, max_length=10, examples=["29236"])]
# The constraint applies to the text; null (not given, or cleared by a patch) is allowed around it.
ShortText = Annotated[SpacedLine, Field(max_length=100)] | None
AddressLine = Annotated[SpacedLine, Field(max_length=300)]


class PersonCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    full_name: FullName
    date_of_birth: BirthDate
    sex: Sex
    national_id: NationalId = None
    commune_code: Code
    address_line: AddressLine = ""
    phone: Phone = None
    ethnicity: ShortText = None
    disability_level: DisabilityLevel | None = None
    disability_certified_on: date | None = None
    hiv_status: HivStatus | None = Field(
        None, description="Sensitive: may be set only by a client holding registry:sensitive"
    )

    _ethnicity = field_validator("ethnicity", mode="before")(_blank_is_none)


class PersonPatch(BaseModel):
    """JSON merge patch: only the fields sent change; ``null`` clears an optional field."""

    model_config = ConfigDict(extra="forbid")

    full_name: FullName | None = None
    date_of_birth: BirthDate | None = None
    sex: Sex | None = None
    national_id: NationalId = None
    commune_code: Code | None = None
    address_line: AddressLine | None = None
    phone: Phone = None
    ethnicity: ShortText = None
    disability_level: DisabilityLevel | None = None
    disability_certified_on: date | None = None
    hiv_status: HivStatus | None = None
    reason: Line = Field("", max_length=500, description="Why the record changes; kept in its history")

    _ethnicity = field_validator("ethnicity", mode="before")(_blank_is_none)

    @field_validator("full_name", "date_of_birth", "sex", "commune_code", "address_line", mode="before")
    @classmethod
    def _required_fields_cannot_be_cleared(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("cannot be cleared (null)")
        return value

    def changes(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.model_fields_set if k != "reason"}


class PersonOut(BaseModel):
    id: uuid.UUID
    full_name: str
    date_of_birth: date
    sex: Sex
    national_id: str | None
    commune_code: str
    district_code: str
    province_code: str
    address_line: str
    phone: str | None
    ethnicity: str | None
    disability_level: str | None
    disability_certified_on: date | None
    death_date: date | None = Field(
        None,
        description="Set by `POST /persons/{id}/death` (or a `record_death` "
        "decision on the person's beneficiary); never by a PATCH",
    )
    death_document: str | None = None
    merged_into: uuid.UUID | None = Field(
        None,
        description="Set when an officer merged this record into another "
        "(`/persons/possible-duplicates/{id}/merge`): read that one instead",
    )
    version: int
    created_at: datetime
    updated_at: datetime


class PersonCreated(PersonOut):
    possible_duplicates: list[uuid.UUID] = Field(
        default_factory=list,
        description="Records this one may duplicate (same name without diacritics and date of "
        "birth in the commune, or same name and birth year in a household). The person is registered all the same; "
        "an officer merges or dismisses the pair at `GET /registry/persons/possible-duplicates`",
    )


class SensitivePersonOut(PersonOut):
    """With the sensitive fields; returned only for ``include=sensitive`` and audited."""

    hiv_status: str | None


class PersonPage(BaseModel):
    items: list[PersonOut]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page; null on the last")


class IdentitiesIn(BaseModel):
    ids: list[uuid.UUID] = Field(min_length=1, max_length=1000, description="Person ids (at most 1,000 a call)")


class IdentityOut(BaseModel):
    """What a partner list needs to name a person; never a sensitive field."""

    id: uuid.UUID
    full_name: str
    date_of_birth: date
    sex: Sex
    national_id: str | None
    address_line: str
    commune_code: str
    district_code: str
    province_code: str
    household_code: str | None


class IdentitiesOut(BaseModel):
    items: list[IdentityOut] = Field(
        description="The persons found within the client's areas, by id; ids not "
        "found (or outside the areas) are left out"
    )


# --- the same check without a model, for bulk imports -----------------------------------------------------------

_CREATE_FIELDS = frozenset(PersonCreate.model_fields) - {"hiv_status"}
_ID_DIGIT = {str(d): (1900 + 100 * (d // 2), "female" if d % 2 else "male") for d in range(6)}
"""The national ID's 4th digit: (first year of the birth century, sex), as :mod:`..rules.national_id` reads it."""


def accept_new_person(values: dict[str, Any], today: date, province_codes: Container[str]) -> dict[str, Any] | None:
    """What ``PersonCreate.model_validate(values)`` makes of a row (``model_dump()`` without ``hiv_status``), when
    the row is valid and its national ID agrees with the date of birth and sex (the national-ID rule with
    ``province_codes``); ``None`` when it is not sure of that, for the model and the rule to decide and word the
    problems. ``values`` are an import row's cells as read (str, date), the empty ones left out.

    A bulk import checks every row; a model per row was a third of its CPU. This takes only rows it can prove
    valid (a property test compares it with the model on generated rows), so the answers are the model's."""
    if not values.keys() <= _CREATE_FIELDS:
        return None
    name, born, sex, commune = (values.get(f) for f in ("full_name", "date_of_birth", "sex", "commune_code"))
    if type(name) is not str or type(born) is not date or sex not in ("male", "female") or type(commune) is not str:
        return None
    if HOSTILE.search(name):  # a control character or direction override: the model words why
        return None
    name = normalise_name(name)
    if not name or len(name) > 200 or not any(ch.isalpha() for ch in name):
        return None
    if born < EARLIEST_BIRTH or born > today or not 1 <= len(commune) <= 10:
        return None
    national_id = values.get("national_id")
    if national_id is not None:
        if (
            type(national_id) is not str
            or len(national_id) != 12
            or not (national_id.isascii() and national_id.isdigit())
        ):
            return None
        century, id_sex = _ID_DIGIT.get(national_id[3], (0, ""))
        if (
            national_id[:3] not in province_codes
            or id_sex != sex
            or not century <= born.year < century + 100
            or national_id[4:6] != f"{born.year % 100:02d}"
        ):
            return None
    out: dict[str, Any] = {
        "full_name": name,
        "date_of_birth": born,
        "sex": Sex(sex),
        "national_id": national_id,
        "commune_code": commune,
        "address_line": "",
        "phone": None,
        "ethnicity": None,
        "disability_level": None,
        "disability_certified_on": None,
    }
    for field, limit in (("address_line", 300), ("ethnicity", 100)):
        text = values.get(field)
        if text is not None:
            if type(text) is not str or HOSTILE.search(text):
                return None
            out[field] = normalise_name(text)
            if len(text) > limit or len(out[field]) > limit:  # the model's limit, on the text before or after
                return None
    out["ethnicity"] = out["ethnicity"] or None  # blank is not given
    phone = values.get("phone")
    if phone is not None:
        if type(phone) is not str:
            return None
        try:
            out["phone"] = _phone(phone)
        except ValueError:
            return None
    level = values.get("disability_level")
    if level is not None:
        if level not in ("severe", "extremely_severe"):
            return None
        out["disability_level"] = level
    certified = values.get("disability_certified_on")
    if certified is not None:
        if type(certified) is not date:
            return None
        out["disability_certified_on"] = certified
    return out
