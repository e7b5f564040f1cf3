"""Postal disbursement (rules.md §9): the columns of a batch file, the results a post office writes in it, the
deadline and the fee. Pure: no I/O.

A batch file has one row per line with the columns of :data:`DOWNLOAD` (Vietnamese headers, what district
officers and post offices exchange) followed by the empty result columns of :data:`RESULT_COLUMNS`; the post
office fills those in and uploads the same file. On upload every download column other than ``Mã dòng`` is
informational and ignored; headers are matched without case or diacritics.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from common.tabular import IGNORED_HEADERS, Cell, CellError, Column, choice, header_key, text

DOWNLOAD: tuple[tuple[str, str], ...] = (
    ("STT", "n"),
    ("Mã dòng", "line_id"),
    ("Họ và tên", "recipient_name"),
    ("Số CCCD", "national_id"),
    ("Ngày sinh", "date_of_birth"),
    ("Mã xã", "commune_code"),
    ("Số tiền", "total"),
    ("Thường xuyên", "regular"),
    ("Truy lĩnh", "arrears"),
    ("Thu hồi", "recovery"),
    ("Kỳ trước chuyển sang", "carried"),
    ("Ghi chú", "note"),
)
"""(header, field) of the batch's own columns, in file order."""

RESULT_COLUMNS: tuple[Column, ...] = (
    Column("line_id", ("line_id", "Mã dòng"), True, "The line's id, as downloaded"),
    Column(
        "outcome",
        ("outcome", "Kết quả"),
        True,
        "`Đã chi trả` (paid), `Chưa chi trả` (unpaid) or `Trả lại` (returned); empty: not reported yet",
    ),
    Column("paid_on", ("paid_on", "Ngày chi trả"), True, "Paid: DD/MM/YYYY or YYYY-MM-DD"),
    Column(
        "paid_to",
        ("paid_to", "Người nhận"),
        True,
        "Paid: `Người hưởng` (the beneficiary) or the name of the authorised proxy",
    ),
    Column("receipt_number", ("receipt_number", "Số biên nhận"), True, "Paid: the receipt's number"),
    Column("amount", ("amount", "Số tiền đã chi"), True, "Paid: whole VND"),
    Column("reason", ("reason", "Lý do"), True, "Unpaid or returned: why"),
)
"""The result columns a post office fills in (all present in the file; cells empty where they do not apply)."""

INFORMATIONAL = tuple(h for h, f in DOWNLOAD if f != "line_id") + IGNORED_HEADERS
"""Download columns an uploaded file may keep: ignored."""

OUTCOMES = {
    "paid": "paid",
    "da chi tra": "paid",
    "da chi": "paid",
    "da tra": "paid",
    "unpaid": "unpaid",
    "chua chi tra": "unpaid",
    "chua chi": "unpaid",
    "khong chi tra": "unpaid",
    "chua nhan": "unpaid",
    "returned": "returned",
    "tra lai": "returned",
    "hoan tra": "returned",
}
OUTCOME_LABELS = {"paid": "Đã chi trả", "unpaid": "Chưa chi trả", "returned": "Trả lại"}
BENEFICIARY_LABEL = "Người hưởng"
_BENEFICIARY = {header_key(BENEFICIARY_LABEL), "beneficiary", "ban than", "chinh chu"}


def outcome(cell: Cell) -> str | None:
    return choice(cell, OUTCOMES, "Đã chi trả, Chưa chi trả, Trả lại (or paid, unpaid, returned)")


def paid_to(cell: Cell) -> tuple[str, str | None] | None:
    """``("beneficiary", None)`` or ``("proxy", name)``; None when empty."""
    value = text(cell)
    if value is None:
        return None
    if header_key(value) in _BENEFICIARY:
        return "beneficiary", None
    if len(value) > 200:
        raise CellError("a proxy's name has at most 200 characters")
    return "proxy", " ".join(value.split())


def deadline(period_first: date) -> date:
    """Results are due by the 20th of the payroll's (first) month (rules.md §9)."""
    return period_first.replace(day=20)


def fee(paid_amount: int, percent: Decimal) -> int:
    """The postal fee on a batch's paid amount: ``paid × percent / 100`` rounded half up to whole VND (computed on the
    batch's total, so per-line rounding never adds up)."""
    return int((Decimal(paid_amount) * percent / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def paid_on_problem(paid_on: date | None, issued_on: date, today: date) -> str | None:
    """Why ``paid_on`` cannot be the day a line was paid, or None: not after today (Viet Nam), not before the day
    the batch was issued to the payment organisation."""
    if paid_on is None:
        return None
    if paid_on > today:
        return f"{paid_on.isoformat()} is in the future (today is {today.isoformat()} in Viet Nam)"
    if paid_on < issued_on:
        return f"{paid_on.isoformat()} is before the batch was issued ({issued_on.isoformat()})"
    return None
