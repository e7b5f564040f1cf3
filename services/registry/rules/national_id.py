"""Vietnamese personal identification number (số định danh cá nhân, printed on the CCCD card).

Legal source: Law on Citizen Identification 2014 / Law on Identification 2023 and Circular
59/2021/TT-BCA (formerly 07/2016/TT-BCA) Art 7; docs/rules.md §8. Twelve digits, no check digit:

    PPP  C  YY  NNNNNN
    |    |  |   `-- 6 random digits
    |    |  `------ last two digits of the year of birth
    |    `--------- century-and-sex digit: 0/1 male/female born 1900-1999,
    |               2/3 born 2000-2099, 4/5 born 2100-2199
    `-------------- code of the province where the birth was registered (Trà Vinh = 084)

An ID whose century/sex/year digits contradict the person's recorded date of birth or sex is bad input.
:func:`validate_national_id` never raises on bad input: it returns every problem it finds, each naming
the field and the reason, so the API can report them all at once.

The province codes are the 63 provincial codes of the national list of administrative units (Decision
124/2004/QĐ-TTg), prefixed with 0, which is what Circular 59/2021/TT-BCA uses. The 2025 provincial
mergers kept existing codes for the new provinces (new Vĩnh Long = 086), so IDs issued before and after
stay within this set. The set is a default argument, not a hidden constant: pass another collection (or
``None`` to skip the check) when the Ministry publishes changes.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from .person import Sex

__all__ = [
    "PROVINCE_CODES",
    "IdProblem",
    "NationalIdParts",
    "century_sex_digit",
    "decode_century_sex",
    "parse_national_id",
    "validate_national_id",
]

LENGTH = 12
_DIGITS = frozenset("0123456789")

# Province code -> name (Decision 124/2004/QĐ-TTg codes, 3-digit form used in the ID).
PROVINCE_CODES: dict[str, str] = {
    "001": "Hà Nội",
    "002": "Hà Giang",
    "004": "Cao Bằng",
    "006": "Bắc Kạn",
    "008": "Tuyên Quang",
    "010": "Lào Cai",
    "011": "Điện Biên",
    "012": "Lai Châu",
    "014": "Sơn La",
    "015": "Yên Bái",
    "017": "Hòa Bình",
    "019": "Thái Nguyên",
    "020": "Lạng Sơn",
    "022": "Quảng Ninh",
    "024": "Bắc Giang",
    "025": "Phú Thọ",
    "026": "Vĩnh Phúc",
    "027": "Bắc Ninh",
    "030": "Hải Dương",
    "031": "Hải Phòng",
    "033": "Hưng Yên",
    "034": "Thái Bình",
    "035": "Hà Nam",
    "036": "Nam Định",
    "037": "Ninh Bình",
    "038": "Thanh Hóa",
    "040": "Nghệ An",
    "042": "Hà Tĩnh",
    "044": "Quảng Bình",
    "045": "Quảng Trị",
    "046": "Thừa Thiên Huế",
    "048": "Đà Nẵng",
    "049": "Quảng Nam",
    "051": "Quảng Ngãi",
    "052": "Bình Định",
    "054": "Phú Yên",
    "056": "Khánh Hòa",
    "058": "Ninh Thuận",
    "060": "Bình Thuận",
    "062": "Kon Tum",
    "064": "Gia Lai",
    "066": "Đắk Lắk",
    "067": "Đắk Nông",
    "068": "Lâm Đồng",
    "070": "Bình Phước",
    "072": "Tây Ninh",
    "074": "Bình Dương",
    "075": "Đồng Nai",
    "077": "Bà Rịa - Vũng Tàu",
    "079": "Hồ Chí Minh",
    "080": "Long An",
    "082": "Tiền Giang",
    "083": "Bến Tre",
    "084": "Trà Vinh",
    "086": "Vĩnh Long",
    "087": "Đồng Tháp",
    "089": "An Giang",
    "091": "Kiên Giang",
    "092": "Cần Thơ",
    "093": "Hậu Giang",
    "094": "Sóc Trăng",
    "095": "Bạc Liêu",
    "096": "Cà Mau",
}

# Century-and-sex digit -> (first year of the century, sex), exactly as docs/rules.md §8 lists them.
_CENTURY_SEX: dict[int, tuple[int, Sex]] = {
    0: (1900, Sex.MALE),
    1: (1900, Sex.FEMALE),
    2: (2000, Sex.MALE),
    3: (2000, Sex.FEMALE),
    4: (2100, Sex.MALE),
    5: (2100, Sex.FEMALE),
}


@dataclass(frozen=True, slots=True)
class IdProblem:
    """One thing wrong with a national ID.

    ``field`` is the input field at fault (always ``national_id`` here); ``related`` names the recorded
    fact it contradicts (``date_of_birth`` or ``sex``), if any; ``code`` is stable for clients,
    ``reason`` is for people.
    """

    field: str
    code: str
    reason: str
    related: str | None = None


@dataclass(frozen=True, slots=True)
class NationalIdParts:
    province_code: str
    century_sex_digit: int
    year_digits: str
    serial: str


def century_sex_digit(birth_year: int, sex: Sex) -> int:
    """The 4th digit of the ID for someone born in ``birth_year`` of ``sex``.

    Raises ``ValueError`` for years outside 1900-2199, which docs/rules.md §8 does not assign.
    """
    for digit, (century, digit_sex) in _CENTURY_SEX.items():
        if century <= birth_year < century + 100 and digit_sex == Sex(sex):
            return digit
    raise ValueError(f"no century/sex digit is assigned for births in {birth_year}")


def decode_century_sex(digit: int) -> tuple[int, Sex] | None:
    """``(first year of the birth century, sex)`` for a century/sex digit, or ``None`` if unassigned."""
    return _CENTURY_SEX.get(digit)


def parse_national_id(value: str) -> NationalIdParts | None:
    """Split a well-formed (12 ASCII digits) ID into its parts; ``None`` if it is not well formed."""
    if not isinstance(value, str) or len(value) != LENGTH or not set(value) <= _DIGITS:
        return None
    return NationalIdParts(value[:3], int(value[3]), value[4:6], value[6:])


def validate_national_id(
    value: str,
    date_of_birth: date | None = None,
    sex: Sex | None = None,
    *,
    province_codes: Collection[str] | None = PROVINCE_CODES,
) -> list[IdProblem]:
    """Every problem with ``value`` as the ID of a person born on ``date_of_birth`` of ``sex``.

    An empty list means the ID is acceptable. ``date_of_birth`` / ``sex`` may be ``None`` when not
    recorded; those cross-checks are then skipped. Nothing is normalised: spaces or dots are reported.
    """
    field = "national_id"
    if not isinstance(value, str):
        return [IdProblem(field, "not_a_string", f"must be a string of {LENGTH} digits")]

    problems: list[IdProblem] = []
    bad = sorted({ch for ch in value if ch not in _DIGITS})
    if bad:
        shown = ", ".join(repr(ch) for ch in bad)
        problems.append(IdProblem(field, "not_digits", f"must contain only the digits 0-9; found {shown}"))
    if len(value) != LENGTH:
        problems.append(IdProblem(field, "wrong_length", f"must be {LENGTH} digits long, got {len(value)}"))
    parts = parse_national_id(value)
    if parts is None:
        # The positions of the parts are unreliable; checking them would only add noise.
        return problems

    if province_codes is not None and parts.province_code not in province_codes:
        problems.append(
            IdProblem(
                field,
                "unknown_province",
                f"digits 1-3 ({parts.province_code}) are not a province code of birth registration",
            )
        )

    decoded = decode_century_sex(parts.century_sex_digit)
    if decoded is None:
        problems.append(
            IdProblem(
                field,
                "unassigned_century_digit",
                f"digit 4 ({parts.century_sex_digit}) is not a century/sex code; "
                "0-5 cover births 1900-2199 (even = male, odd = female)",
            )
        )
    else:
        century, id_sex = decoded
        if date_of_birth is not None and not century <= date_of_birth.year < century + 100:
            problems.append(
                IdProblem(
                    field,
                    "century_mismatch",
                    f"digit 4 ({parts.century_sex_digit}) means born {century}-{century + 99}, "
                    f"but the date of birth is {date_of_birth.isoformat()}",
                    related="date_of_birth",
                )
            )
        if sex is not None and Sex(sex) != id_sex:
            problems.append(
                IdProblem(
                    field,
                    "sex_mismatch",
                    f"digit 4 ({parts.century_sex_digit}) means {id_sex.value}, but the recorded sex is "
                    f"{Sex(sex).value}",
                    related="sex",
                )
            )

    if date_of_birth is not None and parts.year_digits != f"{date_of_birth.year % 100:02d}":
        problems.append(
            IdProblem(
                field,
                "birth_year_mismatch",
                f"digits 5-6 ({parts.year_digits}) must be the last two digits of the birth year {date_of_birth.year}",
                related="date_of_birth",
            )
        )
    return problems
