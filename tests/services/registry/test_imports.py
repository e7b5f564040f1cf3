"""Bulk imports (POST /imports) on real PostgreSQL: CSV and XLSX, row problems, re-imports, areas, events."""

from __future__ import annotations

import asyncio
import io
import random
import uuid
from datetime import UTC, date, datetime

import openpyxl
import pytest
from sqlalchemy import delete, func, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from common.events.envelope import Event
from common.settings import to_asyncpg_url
from common.testing import app_client
from services.registry.app import create_app
from services.registry.events import PersonRegistered
from services.registry.imports import service as imports_service
from services.registry.models import (
    EVENT_TABLES,
    Application,
    ChangeRecord,
    Household,
    HouseholdMember,
    ImportRecord,
    Person,
    PovertyStatus,
)
from services.registry.settings import RegistrySettings

from .places import insert_units

WRITE = ("registry:read", "registry:write")
CSV = {"Content-Type": "text/csv"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
VI_HEADER = "STT,Họ và tên,Ngày sinh,Giới tính,Số CCCD,Mã xã,Địa chỉ,Số điện thoại"


def nid(dob: date, sex: str) -> str:
    digit = {"male": 0, "female": 1}[sex] + (2 if dob.year >= 2000 else 0)
    return f"084{digit}{dob.year % 100:02d}{random.randrange(10**6):06d}"


def csv_file(*lines: str, bom: bool = True) -> bytes:
    return (("\ufeff" if bom else "") + "\r\n".join(lines) + "\r\n").encode()


def persons_csv(tag: str, n: int = 3, commune: str = "99101") -> tuple[bytes, list[str]]:
    ids = [nid(date(1950 + i, 3, 2), "female") for i in range(n)]
    rows = [
        f"{i + 1},Nguyễn Thị Lan {tag} {i},02/03/{1950 + i},Nữ,{ids[i]},{commune},Khóm {i},0912 345 67{i % 10}"
        for i in range(n)
    ]
    return csv_file(VI_HEADER, *rows), ids


async def post(http, minter, body: bytes, kind: str = "persons", headers=None, areas=("991",), **token):
    return await http.post(
        "/imports",
        params={"kind": kind},
        content=body,
        headers={**(headers or CSV), **minter.headers(*WRITE, areas=areas, **token)},
    )


async def imported(http, minter, body: bytes, kind: str = "persons", **kw) -> dict:
    r = await post(http, minter, body, kind, **kw)
    assert r.status_code == 201, r.text
    return r.json()


async def test_a_csv_of_persons_is_imported_as_registrations_are(app, http, minter):
    tag = uuid.uuid4().hex[:8]
    body, ids = persons_csv(tag)
    r = await post(http, minter, body)
    assert r.status_code == 201, r.text
    out = r.json()
    assert r.headers["location"] == f"/registry/imports/{out['id']}"
    assert {k: out[k] for k in ("kind", "format", "rows", "imported", "duplicates", "rejected", "problems_total")} == {
        "kind": "persons",
        "format": "csv",
        "rows": 3,
        "imported": 3,
        "duplicates": 0,
        "rejected": 0,
        "problems_total": 0,
    }
    assert out["problems"] == [] and out["problems_truncated"] is False and len(out["file_sha256"]) == 64

    found = (
        await http.get("/persons", params={"q": f"nguyen thi lan {tag}"}, headers=minter.headers("registry:read"))
    ).json()["items"]
    assert [p["full_name"] for p in found] == [f"Nguyễn Thị Lan {tag} {i}" for i in range(3)]
    first = found[0]
    assert (first["national_id"], first["date_of_birth"], first["sex"]) == (ids[0], "1950-03-02", "female")
    assert (first["commune_code"], first["district_code"], first["province_code"]) == ("99101", "991", "99")
    assert first["phone"] == "0912345670" and first["address_line"] == "Khóm 0" and first["version"] == 1

    async with app.state.sessionmaker() as s:
        person_ids = [uuid.UUID(p["id"]) for p in found]
        history = list(await s.scalars(select(ChangeRecord).where(ChangeRecord.record_id.in_(person_ids))))
        events = (
            await s.execute(
                select(
                    EVENT_TABLES.outbox.c.subject, EVENT_TABLES.outbox.c.sequence, EVENT_TABLES.outbox.c.envelope
                ).where(EVENT_TABLES.outbox.c.subject.in_([p["id"] for p in found]))
            )
        ).all()
        event_ids = dict(
            (
                await s.execute(
                    select(EVENT_TABLES.outbox.c.subject, EVENT_TABLES.outbox.c.event_id).where(
                        EVENT_TABLES.outbox.c.subject.in_([p["id"] for p in found])
                    )
                )
            ).all()
        )
    assert len(history) == 3 and all(h.reason == f"import {out['id']}" and h.before is None for h in history)
    assert {h.after["national_id"] for h in history} == set(ids) and all("hiv_status" not in h.after for h in history)
    # ``after`` is built by PostgreSQL from the inserted row: the stored fields but the sensitive ones, dates ISO.
    assert next(h.after for h in history if h.record_id == uuid.UUID(first["id"])) == {
        "full_name": f"Nguyễn Thị Lan {tag} 0",
        "date_of_birth": "1950-03-02",
        "sex": "female",
        "national_id": ids[0],
        "commune_code": "99101",
        "district_code": "991",
        "province_code": "99",
        "address_line": "Khóm 0",
        "phone": "0912345670",
        "ethnicity": None,
        "disability_level": None,
        "disability_certified_on": None,
    }
    assert all((h.version, h.changed_by) == (1, history[0].changed_by) for h in history)
    assert len(events) == 3 and all(seq == 1 for _, seq, _ in events)
    by_subject = {subject: envelope for subject, _, envelope in events}
    assert by_subject[first["id"]]["type"] == "registry.person.registered.v1"
    assert by_subject[first["id"]]["sequence"] == 1
    assert by_subject[first["id"]]["data"] == {
        "person_id": first["id"],
        "date_of_birth": "1950-03-02",
        "sex": "female",
        "commune_code": "99101",
        "district_code": "991",
        "province_code": "99",
    }
    # The envelopes are built by PostgreSQL: each is what the Python path would publish (the model and the catalogue
    # agree on it, its id is the outbox row's event id).
    for subject, envelope in by_subject.items():
        event = Event.model_validate(envelope)
        assert event.id == event_ids[subject]
        assert (event.source, event.subject, event.datacontenttype) == ("/ansinh/registry", subject, "application/json")
        assert event.time.tzinfo is not None and abs((datetime.now(UTC) - event.time).total_seconds()) < 600
        assert PersonRegistered.model_validate(event.data).model_dump(mode="json") == event.data
        assert set(envelope) == {
            "specversion",
            "id",
            "source",
            "type",
            "subject",
            "time",
            "datacontenttype",
            "sequence",
            "data",
        }


async def test_row_problems_name_line_column_and_reason_while_valid_rows_import(http, minter):
    tag = uuid.uuid4().hex[:8]
    good = nid(date(1960, 1, 5), "male")
    body = csv_file(
        "Họ và tên;Ngày sinh;Giới tính;Số CCCD;Mã xã",  # line 1; Excel's ';' separator
        f"Trần Văn Ba {tag};05/01/1960;Nam;{good};99101",  # 2 ok
        f"Lê Thị Hoa {tag};1970-13-01;Nữ;;99101",  # 3 bad date
        f"Lê Văn C {tag};1950-03-02;Nam;084150123456;99101",  # 4 ID says female
        ";1950-03-02;Nữ;;99101",  # 5 no name
        "",  # 6 blank: skipped, still counted as a line
        f"Võ Thị D {tag};1950-03-02;khác;;00000",  # 7 bad sex and unknown commune
        f"Phạm Văn E {tag};1950-03-02;Nam;;99199",  # 8 commune no longer in force
        f"Đỗ Thị F {tag};2001-07-09;Nữ;;99102",  # 9 ok, no national ID
    )
    out = await imported(http, minter, body)
    assert (out["rows"], out["imported"], out["rejected"], out["duplicates"]) == (7, 2, 5, 0)
    problems = {(p["line"], p["column"]): p for p in out["problems"]}
    assert set(problems) == {(3, "Ngày sinh"), (4, "Số CCCD"), (5, "Họ và tên"), (7, "Giới tính"), (8, "Mã xã")}
    assert "1970-13-01" in problems[3, "Ngày sinh"]["reason"]
    assert problems[4, "Số CCCD"]["code"] == "sex_mismatch" and problems[4, "Số CCCD"]["field"] == "national_id"
    assert problems[5, "Họ và tên"]["reason"] == "required; the cell is empty"
    assert "khác" in problems[7, "Giới tính"]["reason"]
    assert "unknown commune '99199'" in problems[8, "Mã xã"]["reason"]
    assert [p["line"] for p in out["problems"]] == sorted(p["line"] for p in out["problems"])
    names = [
        p["full_name"]
        for p in (await http.get("/persons", params={"q": tag}, headers=minter.headers("registry:read"))).json()[
            "items"
        ]
    ]
    assert sorted(names) == sorted([f"Trần Văn Ba {tag}", f"Đỗ Thị F {tag}"])


async def test_cells_holding_the_packing_separators_are_row_problems_and_the_other_rows_import(http, minter):
    # The import sends its columns packed, separated by U+001F, NULL as U+001E (common.packed): a cell holding either
    # is refused by the text rules as a row problem, the same as any control character, never shifting a column.
    tag = uuid.uuid4().hex[:8]
    body = csv_file(
        "full_name,date_of_birth,sex,national_id,commune_code,address_line,ethnicity",
        f"A\x1fB {tag},1950-01-01,male,,99101,,",
        f"C {tag},1950-01-01,male,,99101,Ấp\x1e2,",
        f"D {tag},1950-01-01,male,,99101,,Kinh\x1f",
        f"E {tag},1950-01-01,male,,99101,Ấp 3,Kinh",
    )
    out = await imported(http, minter, body)
    assert (out["imported"], out["rejected"]) == (2, 2)
    assert [(p["line"], p["field"]) for p in out["problems"]] == [(2, "full_name"), (3, "address_line")]
    assert all("U+001" in p["reason"] for p in out["problems"]), out["problems"]
    r = await http.get("/persons", params={"q": tag}, headers=minter.headers("registry:read"))
    found = sorted((p["full_name"], p["address_line"], p["ethnicity"]) for p in r.json()["items"])
    # Around a cell's text, U+001F is trimmed with the spaces (Python counts U+001C-U+001F as white space).
    assert found == [(f"D {tag}", "", "Kinh"), (f"E {tag}", "Ấp 3", "Kinh")]


async def test_every_problem_of_a_row_is_reported_at_once(http, minter):
    body = csv_file(
        "full_name,date_of_birth,sex,national_id,commune_code,phone", "Lan,2999-01-01,female,999351123456,99101,123"
    )
    out = await imported(http, minter, body)
    fields = sorted(p["field"] for p in out["problems"])
    assert fields == ["date_of_birth", "phone"]  # the ID is checked against a valid date only
    body = csv_file("full_name,date_of_birth,sex,national_id,commune_code", "Lan,1950-01-01,female,999351123456,99101")
    codes = {p["code"] for p in (await imported(http, minter, body))["problems"]}
    assert codes == {"unknown_province", "century_mismatch", "birth_year_mismatch"}


async def test_reimporting_a_file_creates_no_duplicates(app, http, minter):
    tag = uuid.uuid4().hex[:8]
    body, _ = persons_csv(tag)
    body += f"9,Ngô Văn Không Số {tag},01/01/1945,Nam,,99101,,\r\n".encode()  # no national ID
    first = await imported(http, minter, body)
    again = await imported(http, minter, body)
    assert (first["imported"], first["duplicates"]) == (4, 0)
    assert (again["imported"], again["duplicates"], again["rejected"]) == (0, 4, 0)
    assert again["file_sha256"] == first["file_sha256"] and again["id"] != first["id"]
    async with app.state.sessionmaker() as s:
        count = await s.scalar(select(func.count()).select_from(Person).where(Person.name_key.like(f"%{tag}%")))
    assert count == 4


@pytest.mark.parametrize("first_chunk", [1, imports_service.FIRST_CHUNK], ids=["one-row-chunks-first", "one-chunk"])
async def test_a_repeated_person_within_one_file_is_a_problem_naming_the_first_line(
    http, minter, monkeypatch, first_chunk
):
    """Wherever the chunks split the file: a row without national ID after a row with one, of the same name, date of
    birth and commune, is that person (as it would be once the first is registered), not a second registration."""
    monkeypatch.setattr(imports_service, "FIRST_CHUNK", first_chunk)
    tag = uuid.uuid4().hex[:8]
    n = nid(date(1950, 1, 1), "male")
    body = csv_file(
        "full_name,date_of_birth,sex,national_id,commune_code",
        f"D {tag},1960-01-01,male,{nid(date(1960, 1, 1), 'male')},99101",
        f"D {tag},1960-01-01,male,,99101",
        f"A {tag},1950-01-01,male,{n},99101",
        f"B {tag},1950-01-01,male,{n},99101",
        f"C {tag},1940-01-01,male,,99101",
        f"C {tag},1940-01-01,male,,99101",
        f"E {tag},1970-01-01,male,,99101",
        f"E {tag},1970-01-01,male,{nid(date(1970, 1, 1), 'male')},99101",
    )
    out = await imported(http, minter, body)
    assert (out["imported"], out["duplicates"], out["rejected"]) == (5, 0, 3)
    assert out["possible_duplicates"] == 2  # the two rows E: the record without national ID may be the other
    assert [(p["line"], p["reason"]) for p in out["problems"]] == [
        (3, "the same person as line 2 (same name, date of birth and commune (no national ID))"),
        (5, "the same person as line 4 (same national ID)"),
        (7, "the same person as line 6 (same name, date of birth and commune (no national ID))"),
    ]


async def test_a_national_id_registered_through_the_api_counts_as_a_duplicate(http, minter):
    tag = uuid.uuid4().hex[:8]
    body, ids = persons_csv(tag, n=2)
    r = await http.post(
        "/persons",
        json={
            "full_name": "Nguyễn Thị Lan",
            "date_of_birth": "1950-03-02",
            "sex": "female",
            "national_id": ids[0],
            "commune_code": "99101",
        },
        headers=minter.headers(*WRITE),
    )
    assert r.status_code == 201
    out = await imported(http, minter, body)
    assert (out["imported"], out["duplicates"]) == (1, 1)


async def test_concurrent_imports_of_one_file_create_each_person_once(test_db, minter):
    app = create_app(RegistrySettings(database_url=test_db.urls["registry"]))
    engine = create_async_engine(to_asyncpg_url(test_db.urls["registry"]))
    async with engine.begin() as conn:  # committed: the requests run in transactions of their own
        await insert_units(conn)
    tag = uuid.uuid4().hex[:8]
    body, _ = persons_csv(tag, n=20)
    try:
        async with app_client(app, keys=minter, rollback=False) as http:
            results = await asyncio.gather(*(post(http, minter, body) for _ in range(3)))
        outs = [r.json() for r in results]
        assert [r.status_code for r in results] == [201, 201, 201], outs
        assert sorted(o["imported"] for o in outs) == [0, 0, 20]
        assert sorted(o["duplicates"] for o in outs) == [0, 20, 20]
        async with engine.connect() as conn:
            count = await conn.scalar(select(func.count()).select_from(Person).where(Person.name_key.like(f"%{tag}%")))
        assert count == 20
    finally:
        async with engine.begin() as conn:
            ids = list(await conn.scalars(select(Person.id).where(Person.name_key.like(f"%{tag}%"))))
            subjects = [str(i) for i in ids]
            await conn.execute(delete(EVENT_TABLES.outbox).where(EVENT_TABLES.outbox.c.subject.in_(subjects)))
            await conn.execute(delete(EVENT_TABLES.sequences).where(EVENT_TABLES.sequences.c.subject.in_(subjects)))
            await conn.execute(delete(ChangeRecord).where(ChangeRecord.record_id.in_(ids)))
            await conn.execute(delete(Person).where(Person.id.in_(ids)))
            await conn.execute(delete(ImportRecord).where(ImportRecord.created_by == "test-client"))
            for level in ("commune", "district", "province"):  # children before parents
                await conn.execute(
                    text("DELETE FROM registry.admin_units WHERE province_code = '99' AND level = :l"), {"l": level}
                )
        await engine.dispose()


def xlsx_file(rows: list[list]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


async def test_an_xlsx_file_imports_with_date_cells_and_numeric_codes(http, minter):
    tag = uuid.uuid4().hex[:8]
    n = nid(date(1948, 11, 30), "male")
    body = xlsx_file(
        [
            ["STT", "HỌ VÀ TÊN", "Ngày sinh", "Giới tính", "Số CCCD", "Mã xã", "Mức độ khuyết tật"],
            [
                1,
                f"Lâm Sà Rươne {tag}",
                datetime(1948, 11, 30),
                "Nam",
                int(n),
                99101,
                "Đặc biệt nặng",
            ],  # 084… lost its 0
            [None, None, None, None, None, None, None],
            [3, f"Thạch Thị Sa {tag}", "15/06/1952", "Nữ", None, 99102, None],
            [4, f"Kim Văn X {tag}", "không rõ", "Nam", None, 99101, None],
        ]
    )
    out = await imported(http, minter, body, headers={"Content-Type": XLSX})
    assert (out["format"], out["rows"], out["imported"], out["rejected"]) == ("xlsx", 3, 2, 1)
    assert [(p["line"], p["column"]) for p in out["problems"]] == [(5, "Ngày sinh")]
    found = {
        p["full_name"]: p
        for p in (await http.get("/persons", params={"q": tag}, headers=minter.headers("registry:read"))).json()[
            "items"
        ]
    }
    person = found[f"Lâm Sà Rươne {tag}"]
    assert (person["national_id"], person["date_of_birth"], person["disability_level"]) == (
        n,
        "1948-11-30",
        "extremely_severe",
    )
    again = await imported(http, minter, body, headers={"Content-Type": "application/octet-stream"})  # sniffed
    assert (again["format"], again["duplicates"], again["imported"]) == ("xlsx", 2, 0)


@pytest.mark.parametrize(
    ("body", "content_type", "status", "needle"),
    [
        (csv_file("Họ tên,Ngày sinh,Giới,CCCD,Mã huyện", "x,1950-01-01,nam,,99101"), "text/csv", 422, "'Giới'"),
        # Windows-1258 (a legacy Vietnamese code page); its combining tone marks have no precomposed form there
        (
            "Họ và tên,Ngày sinh,Giới tính,Mã xã\nLê Văn Tám,1950-01-01,Nam,99101\n".encode("cp1258", "ignore"),
            "text/csv",
            422,
            "not UTF-8",
        ),
        (b"", "text/csv", 422, "empty"),
        (b"\xef\xbb\xbf \r\n\r\n", "text/csv", 422, "empty"),
        (csv_file("full_name,date_of_birth,sex,commune_code"), "text/csv", 422, "no data rows"),
        (b"PK\x03\x04 not really a workbook", XLSX, 422, "not a readable XLSX"),
        (b"<xml/>", "application/xml", 415, "text/csv"),
    ],
)
async def test_a_file_that_cannot_be_read_is_refused_as_a_whole(http, minter, body, content_type, status, needle):
    r = await post(http, minter, body, headers={"Content-Type": content_type})
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert needle in r.json()["detail"]


async def test_wrong_headers_are_422_naming_unknown_and_missing_columns(http, minter):
    r = await post(http, minter, csv_file("Họ tên,Ngày sinh,Giới,CCCD,Mã huyện", "x,1950-01-01,nam,,99101"))
    problem = r.json()
    assert problem["type"].endswith("/import-header")
    columns = {e["column"]: e["reason"] for e in problem["errors"]}
    assert columns["Giới"].startswith("unknown column") and columns["Mã huyện"].startswith("unknown column")
    assert columns["sex"].startswith("required column missing") and "'Giới tính'" in columns["sex"]
    assert columns["commune_code"].startswith("required column missing")
    assert "Họ tên" not in columns and "CCCD" not in columns  # accepted spellings


async def test_too_large_files_are_413(http, minter, monkeypatch):
    monkeypatch.setattr(imports_service, "MAX_ROWS", 2)
    # Chunks of one row: the file is read as the import goes, so the first row is written before the third is read;
    # the 413 leaves nothing of the file behind.
    monkeypatch.setattr(imports_service, "FIRST_CHUNK", 1)
    monkeypatch.setattr(imports_service, "CHUNK", 1)
    tag = uuid.uuid4().hex[:8]
    body, _ = persons_csv(tag, n=3)
    r = await post(http, minter, body)
    assert r.status_code == 413 and "more than 2 rows" in r.json()["detail"]
    found = await http.get("/persons", params={"q": f"nguyen thi lan {tag}"}, headers=minter.headers("registry:read"))
    assert found.status_code == 200 and found.json()["items"] == []
    monkeypatch.setattr(imports_service, "MAX_BYTES", 100)
    r = await post(http, minter, body)
    assert r.status_code == 413 and r.json()["type"].endswith("/payload-too-large")


async def test_rows_outside_the_clients_areas_are_rejected(http, minter):
    tag = uuid.uuid4().hex[:8]
    body = csv_file(
        "full_name,date_of_birth,sex,commune_code", f"A {tag},1950-01-01,male,99101", f"B {tag},1950-01-01,male,99201"
    )
    out = await imported(http, minter, body, areas=("991",))
    assert (out["imported"], out["rejected"]) == (1, 1)
    assert out["problems"] == [
        {
            "line": 3,
            "column": "commune_code",
            "field": "commune_code",
            "reason": "commune 99201 is outside the areas of this client",
            "code": None,
        }
    ]


async def test_importing_needs_the_write_scope(http, minter):
    body, _ = persons_csv(uuid.uuid4().hex[:8])
    r = await http.post(
        "/imports", params={"kind": "persons"}, content=body, headers={**CSV, **minter.headers("registry:read")}
    )
    assert r.status_code == 403
    r = await http.post("/imports", params={"kind": "cars"}, content=body, headers={**CSV, **minter.headers(*WRITE)})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.kind"


async def test_an_import_is_readable_and_listed_by_the_client_that_made_it(http, minter):
    body = csv_file("full_name,date_of_birth,sex,commune_code", *[f"X,1950-01-0{i},robot,99101" for i in range(1, 4)])
    first = await imported(http, minter, body, client_id="district-a")
    second = await imported(
        http,
        minter,
        csv_file("full_name,date_of_birth,sex,commune_code", "Y,1950-01-01,male,99101"),
        client_id="district-a",
    )
    own = minter.headers("registry:read", client_id="district-a")
    r = await http.get(f"/imports/{first['id']}", headers=own)
    assert r.status_code == 200 and r.json() == first and len(r.json()["problems"]) == 3
    other = minter.headers("registry:read", client_id="district-b")
    assert (await http.get(f"/imports/{first['id']}", headers=other)).status_code == 404
    assert (await http.get(f"/imports/{first['id']}", headers=minter.headers("admin"))).status_code == 200
    page = (await http.get("/imports", params={"limit": 1}, headers=own)).json()
    assert [i["id"] for i in page["items"]] == [second["id"]] and "problems" not in page["items"][0]
    rest = (await http.get("/imports", params={"cursor": page["next_cursor"]}, headers=own)).json()
    assert [i["id"] for i in rest["items"]] == [first["id"]] and rest["next_cursor"] is None
    assert (await http.get("/imports", headers=other)).json()["items"] == []


async def test_the_problem_list_is_capped_but_counted(http, minter, monkeypatch):
    monkeypatch.setattr(imports_service, "PROBLEMS_KEPT", 2)
    body = csv_file("full_name,date_of_birth,sex,commune_code", *["X,1950-01-01,robot,99101" for _ in range(5)])
    out = await imported(http, minter, body)
    assert (out["rejected"], out["problems_total"], len(out["problems"]), out["problems_truncated"]) == (5, 5, 2, True)


async def test_an_idempotency_key_replays_the_first_response(http, minter):
    body, _ = persons_csv(uuid.uuid4().hex[:8])
    headers = {**CSV, "Idempotency-Key": uuid.uuid4().hex}
    first = await post(http, minter, body, headers=headers)
    again = await post(http, minter, body, headers=headers)
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json() and first.json()["imported"] == 3


# --- households and applications ---------------------------------------------------------------------------


async def registered(http, minter, tag: str, n: int) -> list[str]:
    body, ids = persons_csv(tag, n=n)
    assert (await imported(http, minter, body))["imported"] == n
    return ids


async def test_households_import_with_members_poverty_history_and_event(app, http, minter):
    tag = uuid.uuid4().hex[:8]
    ids = await registered(http, minter, tag, 5)
    body = csv_file(
        "Mã hộ,Mã xã,Địa chỉ,Số CCCD,Quan hệ với chủ hộ,Tình trạng nghèo,Ngày hiệu lực,Số quyết định",
        f"H1-{tag},99101,Khóm 2,{ids[0]},Chủ hộ,Hộ nghèo,01/01/2026,QĐ 12/UBND",
        f"H1-{tag},99101,Khóm 2,{ids[1]},Con,,,",
        f"H2-{tag},99101,Khóm 3,{ids[2]},Vợ,,,",  # no head: the household is refused
        f"H2-{tag},99101,Khóm 3,{ids[3]},Con,,,",
        f"H3-{tag},99101,,{ids[4]},head,,,",
        f"H4-{tag},99101,,{nid(date(1950, 1, 1), 'male')},head,,,",  # not registered
    )
    out = await imported(http, minter, body, kind="households")
    assert (out["rows"], out["imported"], out["rejected"], out["duplicates"]) == (6, 3, 3, 0)
    reasons = {p["line"]: p["reason"] for p in out["problems"]}
    assert "has no head" in reasons[4] and "problems on line(s) 4" in reasons[5]
    assert "no registered person with national ID" in reasons[7]

    async with app.state.sessionmaker() as s:
        h1 = await s.scalar(select(Household).where(Household.code == f"H1-{tag}"))
        members = (
            await s.execute(
                select(HouseholdMember.relationship, Person.national_id)
                .join(Person, Person.id == HouseholdMember.person_id)
                .where(HouseholdMember.household_id == h1.id)
            )
        ).all()
        poverty = list(await s.scalars(select(PovertyStatus).where(PovertyStatus.household_id == h1.id)))
        history = await s.scalar(select(ChangeRecord).where(ChangeRecord.record_id == h1.id))
        events = list(
            await s.scalars(select(EVENT_TABLES.outbox.c.envelope).where(EVENT_TABLES.outbox.c.subject == str(h1.id)))
        )
        h2 = await s.scalar(select(Household).where(Household.code == f"H2-{tag}"))
    assert (h1.commune_code, h1.district_code, h1.address_line) == ("99101", "991", "Khóm 2") and h2 is None
    assert sorted(members) == sorted([("head", ids[0]), ("child", ids[1])])
    assert [(p.status, p.valid_from, p.document) for p in poverty] == [("poor", date(2026, 1, 1), "QĐ 12/UBND")]
    assert history.after["poverty"] == {"status": "poor", "valid_from": "2026-01-01", "document": "QĐ 12/UBND"}
    assert history.reason == f"import {out['id']}"
    assert sorted(e["type"] for e in events) == ["registry.household.member_joined.v1"] * 2 + [
        "registry.household.poverty_status_changed.v1"
    ]
    read = (await http.get(f"/households/{h1.id}", headers=minter.headers("registry:read"))).json()
    assert read["poverty_status"]["status"] == "poor" and len(read["members"]) == 2

    again = await imported(http, minter, body, kind="households")
    assert (again["imported"], again["duplicates"], again["rejected"]) == (0, 3, 3)


async def test_a_member_already_in_a_household_refuses_the_whole_household(http, minter):
    tag = uuid.uuid4().hex[:8]
    ids = await registered(http, minter, tag, 3)
    header = "household_code,commune_code,national_id,relationship"
    await imported(http, minter, csv_file(header, f"A-{tag},99101,{ids[0]},head"), kind="households")
    out = await imported(
        http,
        minter,
        csv_file(header, f"B-{tag},99101,{ids[1]},head", f"B-{tag},99101,{ids[0]},spouse"),
        kind="households",
    )
    assert (out["imported"], out["rejected"]) == (0, 2)
    assert {p["line"]: p["reason"] for p in out["problems"]}[3] == "the person is already a member of another household"


async def test_applications_import_and_pending_ones_are_not_submitted_twice(app, http, minter):
    tag = uuid.uuid4().hex[:8]
    ids = await registered(http, minter, tag, 3)
    body = csv_file(
        "Số CCCD,Diện hưởng,Ghi chú",
        f"{ids[0]},5.5a,đơn tại xã",
        f'{ids[1]},"5.6; 5.8",',
        f"{ids[2]},9.9,",
        f"{ids[0]},5.5a,lần hai",
    )
    out = await imported(http, minter, body, kind="applications")
    assert (out["imported"], out["rejected"]) == (2, 2)
    reasons = {p["line"]: p["reason"] for p in out["problems"]}
    assert reasons[4].startswith("unknown category '9.9'") and reasons[5] == "the same application as line 2"
    async with app.state.sessionmaker() as s:
        apps = (
            await s.execute(
                select(
                    Person.national_id,
                    Application.categories,
                    Application.status,
                    Application.note,
                    Application.submitted_by,
                )
                .join(Person, Person.id == Application.person_id)
                .where(Person.national_id.in_(ids))
            )
        ).all()
    assert sorted(apps) == sorted(
        [
            (ids[0], ["5.5a"], "submitted", "đơn tại xã", "test-client"),
            (ids[1], ["5.6", "5.8"], "submitted", "", "test-client"),
        ]
    )
    again = await imported(http, minter, body, kind="applications")
    assert (again["imported"], again["duplicates"], again["rejected"]) == (0, 2, 2)


async def test_a_file_of_study_periods_records_them_and_resends_the_schedules(app, http, minter):
    from .test_schedules import schedules
    from .test_study_and_children import approve, months, person

    orphan = await person(http, minter, "Nguyễn Văn Mồ Côi", date(2008, 3, 15), "male")
    other = await person(http, minter, "Trần Thị Hai", date(2006, 1, 9))
    ids = {}
    async with app.state.sessionmaker() as s:
        for pid in (orphan, other):
            ids[pid] = (await s.get(Person, uuid.UUID(pid))).national_id
    beneficiary = await approve(http, minter, orphan, ["5.1"], "2021-01")
    body = csv_file(
        "STT,Số CCCD,Loại hình,Từ tháng,Đến tháng,Trường,Giấy xác nhận",
        f"1,{ids[orphan]},Phổ thông,09/2023,,THPT Thử,GXN 1/2023",
        f"2,{ids[other]},Đại học,2024-09,2028-06,ĐH Thử,GXN 2/2024",
        f"3,{ids[other]},Học nghề,2025-01,,Trường nghề,GXN 3/2025",  # overlaps line 2
        f"4,{ids[other]},Mẫu giáo,2024-09,,X,GXN 4",  # unknown kind
        f"5,{ids[other]},Phổ thông,13/2024,,X,GXN 5",
    )  # not a month
    result = await imported(http, minter, body, kind="study_periods")
    assert (result["rows"], result["imported"], result["duplicates"], result["rejected"]) == (5, 2, 0, 3)
    assert [(p["line"], p["column"]) for p in result["problems"]] == [(4, None), (5, "Loại hình"), (6, "Từ tháng")]
    assert "already studies" in result["problems"][0]["reason"]
    found = await months(http, minter, beneficiary, "2024-04", "2024-04")
    assert found["2024-04"]["category"] == "5.2"  # the 16th birthday was in 2024-03: no gap
    assert (await schedules(app, beneficiary))[-1]["version"] == 2

    again = await imported(http, minter, body, kind="study_periods")
    assert (again["imported"], again["duplicates"]) == (0, 2)
