"""Hostile text to the registry, through the HTTP API: a control character (tab and line breaks included, on one
line) or a direction override in a name, an address, a household field, a document, a reason or a note is a 422
naming the field, and in an imported file a row problem naming the line and the column; nothing of it is stored.
Vietnamese with diacritics is kept, stored composed (NFC), and found by its folded name."""

from __future__ import annotations

import unicodedata
import uuid

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from services.registry.rules.names import name_key
from services.registry.rules.text import SpacedLine

from .test_imports import VI_HEADER, XLSX, csv_file, imported, xlsx_file
from .test_persons import WRITE, create, person

# Mid-text, so trimming cannot remove them: overrides and isolates, C0 controls (tab and line breaks among them),
# DEL and C1 controls.
HOSTILE = {
    "RLO": "\u202e",
    "LRE": "\u202a",
    "LRI": "\u2066",
    "PDI": "\u2069",
    "tab": "\t",
    "LF": "\n",
    "CR": "\r",
    "VT": "\x0b",
    "ESC": "\x1b",
    "SOH": "\x01",
    "DEL": "\x7f",
    "NEL": "\x85",
    "APC": "\x9f",
}
CLEAN = {"full_name": "Nguyễn Thị Lan", "address_line": "Khóm 2", "ethnicity": "Kinh"}


def auth(minter, *scopes):
    return minter.headers(*(scopes or WRITE), areas=("991",)) | {"Idempotency-Key": str(uuid.uuid4())}


def hostile(value: str, char: str) -> str:
    """``value`` with ``char`` after its first character."""
    return value[0] + char + value[1:]


def refused(r, field: str) -> str:
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    reasons = {e["field"]: e["reason"] for e in r.json()["errors"]}
    assert field in reasons, reasons
    return reasons[field]


@pytest.mark.parametrize("field", sorted(CLEAN))
@pytest.mark.parametrize("char", HOSTILE.values(), ids=HOSTILE.keys())
async def test_registering_a_person_with_a_control_or_override_character_is_a_422_naming_the_field(
    http, minter, field, char
):
    r = await http.post("/persons", json=person(**{field: hostile(CLEAN[field], char)}), headers=auth(minter))
    reason = refused(r, f"body.{field}")
    assert f"U+{ord(char):04X}" in reason


@pytest.mark.parametrize("field", [*sorted(CLEAN), "reason"])
@pytest.mark.parametrize("char", ["\u202e", "\n", "\x1b"], ids=["RLO", "LF", "ESC"])
async def test_a_correction_with_hostile_text_is_refused_and_the_record_keeps_its_version(http, minter, field, char):
    created = await create(http, minter)
    url = f"/persons/{created.json()['id']}"
    body = {field: hostile(CLEAN.get(field, "sửa tên"), char)}
    if field == "reason":
        body["address_line"] = "Khóm 3"
    r = await http.patch(url, json=body, headers=auth(minter) | {"If-Match": created.headers["etag"]})
    refused(r, f"body.{field}")
    r = await http.get(url, headers=auth(minter))
    assert r.headers["etag"] == created.headers["etag"] and r.json()["address_line"] == "Khóm 2"


async def test_vietnamese_text_is_kept_composed_and_found_by_its_folded_name(http, minter):
    tag = uuid.uuid4().hex[:8]
    decomposed = unicodedata.normalize("NFD", f"  Đặng   Thị Ngọc Ánh {tag} ")
    r = await http.post(
        "/persons",
        json=person(full_name=decomposed, address_line=unicodedata.normalize("NFD", "Ấp Phước Hảo"), ethnicity="  "),
        headers=auth(minter),
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["full_name"] == f"Đặng Thị Ngọc Ánh {tag}" == unicodedata.normalize("NFC", body["full_name"])
    assert body["address_line"] == "Ấp Phước Hảo"
    assert body["ethnicity"] is None  # an optional text sent blank is not given
    found = await http.get("/persons", params={"q": f"dang thi ngoc anh {tag}"}, headers=auth(minter))
    assert [p["id"] for p in found.json()["items"]] == [body["id"]]


async def test_an_imported_row_with_hostile_text_is_a_row_problem_naming_line_column_and_character(http, minter):
    tag = uuid.uuid4().hex[:8]
    body = csv_file(
        VI_HEADER + ",Dân tộc",
        f"1,Nguyễn Thị\u202e Lan {tag},02/03/1950,Nữ,,99101,Khóm 2,,Kinh",
        f'2,Trần Văn Ba {tag},05/01/1960,Nam,,99101,"Khóm\n3",,Kinh',
        f"3,Lê Văn Tư {tag},05/01/1961,Nam,,99101,Khóm 3,,Ki\u2066nh",
        f"4,Phạm Thị\x1b[31m Năm {tag},05/01/1962,Nữ,,99101,Khóm 3,,Kinh",
        f"5,Võ Thị Sáu {tag},05/01/1963,Nữ,,99101,Khóm 3,,Kinh",
    )
    out = await imported(http, minter, body)
    assert (out["imported"], out["rejected"]) == (1, 4), out
    got = [(p["line"], p["column"], p["field"]) for p in out["problems"]]
    assert got == [
        (2, "Họ và tên", "full_name"),
        (3, "Địa chỉ", "address_line"),
        (5, "Dân tộc", "ethnicity"),  # the cell of line 3 spans two lines of the file
        (6, "Họ và tên", "full_name"),
    ]
    for p, char in zip(out["problems"], ["\u202e", "\n", "\u2066", "\x1b"], strict=True):
        assert f"U+{ord(char):04X}" in p["reason"], p
    found = await http.get("/persons", params={"q": tag}, headers=auth(minter))
    assert [p["full_name"] for p in found.json()["items"]] == [f"Võ Thị Sáu {tag}"]


async def test_an_xlsx_row_with_a_direction_override_is_a_row_problem_and_the_others_are_imported(http, minter):
    tag = uuid.uuid4().hex[:8]
    body = xlsx_file(
        [
            ["Họ và tên", "Ngày sinh", "Giới tính", "Mã xã", "Địa chỉ"],
            [f"Thạch Thị\u202e Sa {tag}", "15/06/1952", "Nữ", 99101, "Ấp 1"],
            [f"Kim Văn Sóc {tag}", "15/06/1953", "Nam", 99101, "Ấp\u2067 2"],
            [f"Lâm Sà Rươne {tag}", "15/06/1954", "Nam", 99101, "Ấp 3"],
        ]
    )
    out = await imported(http, minter, body, headers={"Content-Type": XLSX})
    assert (out["imported"], out["rejected"]) == (1, 2), out
    assert [(p["line"], p["column"]) for p in out["problems"]] == [(2, "Họ và tên"), (3, "Địa chỉ")]
    assert "found U+202E" in out["problems"][0]["reason"] and "found U+2067" in out["problems"][1]["reason"]


async def test_an_imported_household_or_application_with_hostile_text_is_a_row_problem(http, minter):
    head = (await create(http, minter)).json()
    nid = head["national_id"]
    body = csv_file(
        "Mã hộ,Mã xã,Địa chỉ,Số CCCD,Quan hệ với chủ hộ",
        f"H\u202e{uuid.uuid4().hex[:6]},99101,Khóm 2,{nid},Chủ hộ",
        f"H{uuid.uuid4().hex[:6]},99101,Khóm\t2,{nid},Chủ hộ",
    )
    out = await imported(http, minter, body, "households")
    assert out["imported"] == 0
    assert [(p["line"], p["column"]) for p in out["problems"]] == [(2, "Mã hộ"), (3, "Địa chỉ")], out
    body = csv_file("national_id,categories,note", f"{nid},5.5a,hồ sơ\u202e nộp tại xã")
    out = await imported(http, minter, body, "applications")
    assert out["imported"] == 0
    assert [(p["line"], p["field"]) for p in out["problems"]] == [(2, "note")], out
    assert "U+202E" in out["problems"][0]["reason"]


async def test_a_note_may_span_lines_but_a_name_may_not(http, minter):
    created = (await create(http, minter)).json()
    r = await http.post(
        "/applications",
        json={"person_id": created["id"], "categories": ["5.5a"], "note": "Hồ sơ gồm:\n- đơn\n- giấy khai sinh"},
        headers=auth(minter),
    )
    assert r.status_code == 201, r.text
    assert r.json()["note"] == "Hồ sơ gồm:\n- đơn\n- giấy khai sinh"
    r = await http.post(
        "/applications",
        json={"person_id": created["id"], "categories": ["5.5b"], "note": "Hồ sơ gồm:\n- đơn\u202e"},
        headers=auth(minter),
    )
    assert "U+202E" in refused(r, "body.note")
    r = await http.post("/persons", json=person(full_name="Nguyễn Thị\nLan"), headers=auth(minter))
    assert "line break" in refused(r, "body.full_name")


ANY = "00000000-0000-7000-8000-000000000000"
STUDY = {"kind": "school", "from": "2024-09", "institution": "Trường THPT", "document": "Giấy xác nhận số 45"}
DECISION = {"kind": "suspend", "effective_month": "2026-01", "number": "12/QĐ", "authority": "UBND", "reason": "đi"}
ROUTES = [
    # (method, path, body, the text field, scopes)
    ("post", "/households", {"code": "H1", "commune_code": "99101", "members": []}, "code", ()),
    ("post", "/households", {"commune_code": "99101", "address_line": "Khóm 2", "members": []}, "address_line", ()),
    (
        "post",
        f"/households/{ANY}/poverty-status",
        {"status": "poor", "valid_from": "2026-01-01", "document": "QĐ 12"},
        "document",
        (),
    ),
    (
        "post",
        f"/households/{ANY}/move",
        {"commune_code": "99101", "valid_from": "2026-01-01", "address_line": "Ấp 1"},
        "address_line",
        (),
    ),
    (
        "post",
        f"/households/{ANY}/move",
        {"commune_code": "99101", "valid_from": "2026-01-01", "reason": "chuyển"},
        "reason",
        (),
    ),
    ("post", f"/persons/{ANY}/death", {"death_date": "2026-01-01", "document": "Trích lục 12"}, "document", ()),
    ("post", "/applications", {"person_id": ANY, "categories": ["5.5a"], "note": "hồ sơ"}, "note", ()),
    (
        "post",
        f"/applications/{ANY}/approve",
        {"number": "12/QĐ", "signed_on": "2026-01-02", "authority": "UBND", "effective_month": "2026-01"},
        "number",
        (),
    ),
    (
        "post",
        f"/applications/{ANY}/approve",
        {"number": "12/QĐ", "signed_on": "2026-01-02", "authority": "UBND", "effective_month": "2026-01"},
        "authority",
        (),
    ),
    ("post", f"/applications/{ANY}/reject", {"reason": "không đủ điều kiện"}, "reason", ()),
    ("post", f"/beneficiaries/{ANY}/decisions", DECISION, "number", ()),
    ("post", f"/beneficiaries/{ANY}/decisions", DECISION, "authority", ()),
    ("post", f"/beneficiaries/{ANY}/decisions", DECISION, "reason", ()),
    ("post", f"/persons/possible-duplicates/{ANY}/dismiss", {"reason": "hai người"}, "reason", ()),
    ("post", f"/persons/possible-duplicates/{ANY}/merge", {"survivor_id": ANY, "reason": "một người"}, "reason", ()),
    ("post", "/facilities", {"name": "Trung tâm", "commune_code": "99101", "capacity": 10}, "name", ()),
    (
        "post",
        f"/facilities/{ANY}/residents",
        {"person_id": ANY, "admitted_on": "2026-01-01", "category": "elderly", "reason": "neo đơn"},
        "reason",
        (),
    ),
    ("post", f"/residencies/{ANY}/discharge", {"discharged_on": "2026-01-01", "reason": "về nhà"}, "reason", ()),
    *[
        (
            "post",
            f"/facilities/{ANY}/donations",
            {
                "donor": "Công ty",
                "received_on": "2026-01-01",
                "form": "cash",
                "value": 1,
                "description": "tiền",
                "document": "PT 1",
            },
            field,
            (),
        )
        for field in ("donor", "description", "document")
    ],
    ("post", f"/persons/{ANY}/study-periods", STUDY, "institution", ()),
    ("post", f"/persons/{ANY}/study-periods", STUDY, "document", ()),
    ("patch", f"/study-periods/{ANY}", {"document": "Giấy 46", "reason": "sửa"}, "document", ()),
    ("patch", f"/study-periods/{ANY}", {"document": "Giấy 46", "reason": "sửa"}, "reason", ()),
    ("post", f"/application-drafts/{ANY}/submit", {"note": "hồ sơ"}, "note", ()),
    ("post", f"/application-drafts/{ANY}/dismiss", {"reason": "đã có"}, "reason", ()),
    (
        "post",
        "/units",
        {
            "code": "99999",
            "name": "Xã Mới",
            "level": "commune",
            "kind": "Xã",
            "province_code": "99",
            "valid_from": "2025-07-01",
        },
        "name",
        ("admin",),
    ),
    (
        "post",
        "/units",
        {
            "code": "99999",
            "name": "Xã Mới",
            "level": "commune",
            "kind": "Xã",
            "province_code": "99",
            "valid_from": "2025-07-01",
        },
        "kind",
        ("admin",),
    ),
    (
        "post",
        "/units/mappings",
        {
            "old_code": "99101",
            "new_code": "99102",
            "new_name": "Xã Mới",
            "new_province_code": "99",
            "effective_from": "2025-07-01",
        },
        "new_name",
        ("admin",),
    ),
    (
        "post",
        "/parameters/standard-levels",
        {"valid_from": "2099-01", "amount": 1, "legal_basis": "Nghị định 1"},
        "legal_basis",
        ("admin",),
    ),
    (
        "post",
        "/parameters/category-rules",
        {
            "code": "9.9",
            "valid_from": "2099-01",
            "name": "thử",
            "bands": [{"coefficient": "1"}],
            "legal_basis": "Nghị định 1",
        },
        "name",
        ("admin",),
    ),
    (
        "post",
        "/parameters/category-rules",
        {
            "code": "9.9",
            "valid_from": "2099-01",
            "name": "thử",
            "bands": [{"coefficient": "1"}],
            "legal_basis": "Nghị định 1",
        },
        "legal_basis",
        ("admin",),
    ),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "field", "scopes"),
    ROUTES,
    ids=[f"{m} {p.replace(ANY, '{id}')} {f}" for m, p, _, f, _ in ROUTES],
)
async def test_every_text_field_written_refuses_a_direction_override(http, minter, method, path, body, field, scopes):
    r = await http.request(
        method, path, json={**body, field: hostile(body[field], "\u202e")}, headers=auth(minter, *scopes)
    )
    assert "U+202E" in refused(r, f"body.{field}")


async def test_a_withdrawal_reason_with_a_control_character_is_a_422(http, minter):
    headers = auth(minter) | {"If-Match": '"1"'}
    r = await http.delete(f"/study-periods/{ANY}", params={"reason": "nhầm\x1b"}, headers=headers)
    refused(r, "query.reason")


# --- the rules themselves: refused, or stored clean -------------------------------------------------------------

LETTERS = "aàáảãạăằắẳẵặâầấẩẫậđĐeèéẻẽẹêềếểễệoòóỏõọôồốổỗộơờớởỡợuùúủũụưừứửữựyỳýỷỹỵ NgTh"
TYPED = st.text(
    st.one_of(
        st.sampled_from([*LETTERS, "\u0300", "\u0301", "\u0323", "\u00a0", *HOSTILE.values()]),
        st.characters(codec="utf-8", exclude_categories=("Cs",)),
    ),
    max_size=40,
)
SPACED = TypeAdapter(SpacedLine)


OVERRIDES = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _controls_or_overrides(value: str) -> set[str]:
    return {c for c in value if ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or c in OVERRIDES}


@given(TYPED)
@example(unicodedata.normalize("NFD", "  Nguyễn   Thị\u00a0Lan "))
@example("Lan\u202egnàoH")
def test_a_name_or_address_is_refused_or_stored_clean_composed_and_folded_alike(value):
    try:
        stored = SPACED.validate_python(value)
    except ValidationError:
        assert _controls_or_overrides(unicodedata.normalize("NFC", value).strip())
        return
    assert not _controls_or_overrides(stored)
    assert stored == " ".join(unicodedata.normalize("NFC", value).split())  # diacritics kept, composed
    assert name_key(stored) == name_key(value)  # the folded name searched is the same
