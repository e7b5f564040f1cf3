"""The BHXH list file: columns (Vietnamese headers), action and outcome labels, and the result columns BHXH fills in
and uploads back. Pure: no I/O."""

from __future__ import annotations

from common.tabular import IGNORED_HEADERS, Cell, Column, choice, header_key

DOWNLOAD: tuple[str, ...] = (
    "STT",
    "Mã người",
    "Họ và tên",
    "Ngày sinh",
    "Giới tính",
    "Số định danh cá nhân",
    "Địa chỉ",
    "Mã hộ gia đình",
    "Mã xã",
    "Mã huyện",
    "Nghiệp vụ",
    "Đối tượng",
    "Mức hưởng",
    "Hiệu lực từ",
    "Hiệu lực đến",
    "Mã thẻ hiện tại",
)
"""The list's own columns, in file order (what BHXH needs to issue, renew, change or end a card)."""

ACTION_LABELS = {"enrol": "Tăng mới", "renew": "Gia hạn", "change": "Thay đổi đối tượng", "end": "Báo giảm"}
SEX_LABELS = {"male": "Nam", "female": "Nữ"}
OUTCOME_LABELS = {"issued": "Đã cấp thẻ", "ended": "Đã báo giảm", "rejected": "Từ chối"}
_OUTCOMES = {header_key(v): k for k, v in OUTCOME_LABELS.items()} | {k: k for k in OUTCOME_LABELS}

RESULT_COLUMNS: tuple[Column, ...] = (
    Column("person_id", ("person_id", "Mã người"), True, "The person's id, as downloaded"),
    Column(
        "outcome",
        ("outcome", "Kết quả"),
        True,
        "`Đã cấp thẻ` (issued), `Đã báo giảm` (ended) or `Từ chối` (rejected); empty: not answered yet",
    ),
    Column("card_code", ("card_code", "Mã thẻ"), True, "Issued: the 15-character card code"),
    Column("valid_from", ("valid_from", "Thẻ có giá trị từ"), True, "Issued: DD/MM/YYYY or YYYY-MM-DD"),
    Column("valid_to", ("valid_to", "Thẻ có giá trị đến"), True, "Issued: the card's last day (empty: open)"),
    Column("reason", ("reason", "Lý do"), True, "Rejected: why"),
)
RESULT_HEADERS = tuple(c.headers[1] for c in RESULT_COLUMNS if c.field != "person_id")
INFORMATIONAL = tuple(h for h in DOWNLOAD if h != "Mã người") + IGNORED_HEADERS
"""On upload, the list's own columns (but `Mã người`) are informational and ignored."""


def outcome(cell: Cell) -> str | None:
    return choice(cell, _OUTCOMES, ", ".join(OUTCOME_LABELS.values()))
