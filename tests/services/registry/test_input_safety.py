"""Input the database cannot store, or numbers and months no column or calendar takes, answer 422 naming the field
(never 500), on every route of the registry: NUL characters, lone surrogates, integers beyond 64 bits, and
``"ethnicity": null`` (optional: accepted as "not given")."""

from __future__ import annotations

import json
import uuid

import pytest

from .test_imports import VI_HEADER, csv_file, imported
from .test_persons import WRITE, create, person


def auth(minter):
    return minter.headers(*WRITE, areas=("991",))


def problem(r, field):
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    fields = [e["field"] for e in r.json()["errors"]]
    assert field in fields, fields
    return r.json()


async def test_ethnicity_null_means_not_given_on_create_and_clears_it_on_update(http, minter):
    r = await http.post("/persons", json=person(ethnicity=None), headers=auth(minter))
    assert r.status_code == 201, r.text
    assert r.json()["ethnicity"] is None
    created = await create(http, minter)
    assert created.json()["ethnicity"] == "Kinh"
    r = await http.patch(
        f"/persons/{created.json()['id']}",
        json={"ethnicity": None},
        headers=auth(minter) | {"If-Match": created.headers["etag"]},
    )
    assert r.status_code == 200, r.text
    assert r.json()["ethnicity"] is None


async def test_household_code_null_means_no_code(http, minter):
    head = (await create(http, minter)).json()["id"]
    r = await http.post(
        "/households",
        headers=auth(minter),
        json={"code": None, "commune_code": "99101", "members": [{"person_id": head, "relationship": "head"}]},
    )
    assert r.status_code == 201, r.text


@pytest.mark.parametrize("field", ["full_name", "address_line", "commune_code", "ethnicity", "national_id"])
async def test_a_nul_character_in_any_text_is_422_naming_the_field(http, minter, field):
    value = {
        "full_name": "Nguyễn Thị\u0000 Lan",
        "address_line": "Khóm\u00002",
        "commune_code": "99\u0000101",
        "ethnicity": "Ki\u0000nh",
        "national_id": "0841\u000050212345",
    }[field]
    r = await http.post("/persons", json=person(**{field: value}), headers=auth(minter))
    problem(r, f"body.{field}")


async def test_a_lone_surrogate_in_json_is_422_naming_the_field(http, minter):
    body = json.dumps(person()).replace('"Kinh"', '"Ki\\ud800nh"')
    r = await http.post("/persons", content=body.encode(), headers=auth(minter) | {"Content-Type": "application/json"})
    problem(r, "body.ethnicity")
    # A valid pair (an emoji, written as two escapes) is text like any other.
    body = json.dumps(person(), ensure_ascii=False).replace('"Khóm 2"', '"Khóm 2 \\ud83c\\udfe0"')
    r = await http.post("/persons", content=body.encode(), headers=auth(minter) | {"Content-Type": "application/json"})
    assert r.status_code == 201 and r.json()["address_line"] == "Khóm 2 \U0001f3e0"


async def test_a_nul_in_a_patch_or_a_search_is_422(http, minter):
    created = await create(http, minter)
    r = await http.patch(
        f"/persons/{created.json()['id']}",
        json={"reason": "sửa\u0000"},
        headers=auth(minter) | {"If-Match": created.headers["etag"]},
    )
    problem(r, "body.reason")
    problem(await http.get("/persons", params={"q": "lan\u0000"}, headers=auth(minter)), "query.q")
    problem(await http.get("/persons", params={"commune_code": "\u0000"}, headers=auth(minter)), "query.commune_code")
    r = await http.get(f"/households/{uuid.uuid4()}%00", headers=auth(minter))
    assert r.status_code == 422, r.text


async def test_integers_beyond_64_bits_are_422(http, minter):
    problem(await http.get("/persons", params={"limit": str(2**64)}, headers=auth(minter)), "query.limit")
    r = await http.post("/persons", json=person(date_of_birth=2**70), headers=auth(minter))
    problem(r, "body.date_of_birth")


async def test_a_month_with_year_0000_is_422(http, minter):
    r = await http.get("/reports/beneficiaries", params={"month": "0000-01"}, headers=minter.headers("registry:read"))
    problem(r, "query.month")


async def test_a_nul_in_an_imported_cell_is_a_row_problem(http, minter):
    tag = uuid.uuid4().hex[:8]
    body = csv_file(
        VI_HEADER,
        f"1,Nguyễn Thị Lan {tag},02/03/1950,Nữ,,99101,Khóm\u00002,",
        f"2,Trần Văn Ba {tag},05/01/1960,Nam,,99101,Khóm 3,",
    )
    out = await imported(http, minter, body)
    assert (out["imported"], out["rejected"]) == (1, 1)
    [row] = out["problems"]
    assert (row["line"], row["column"]) == (2, "Địa chỉ") and "NUL" in row["reason"]
