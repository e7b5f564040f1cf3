"""Beneficiary reports per unit, by the codes as recorded or in the 2025 units (real PostgreSQL, rolled back)."""

from __future__ import annotations

import csv
import io

from sqlalchemy import text

from .test_beneficiaries import CHECKER, approved, h

MONTH = "2026-01"
EVERYWHERE = {"client_id": "province-officer", "areas": ("842", "86", "99")}


async def move(app, person_id: str, province: str, district: str, commune: str) -> None:
    """Give a person the codes of a record made elsewhere (pre-2025 units cannot be registered today)."""
    async with app.state.sessionmaker() as s:
        await s.execute(
            text(
                "UPDATE registry.persons SET province_code = :p, district_code = :d, commune_code = :c WHERE id = :id"
            ),
            {"p": province, "d": district, "c": commune, "id": person_id},
        )
        await s.commit()


async def entitled(http, minter, beneficiary_id: str) -> int:
    r = await http.get(
        f"/beneficiaries/{beneficiary_id}/entitlements",
        params={"from": MONTH, "to": MONTH},
        headers=h(minter, EVERYWHERE),
    )
    assert r.status_code == 200, r.text
    return r.json()["months"][0]["amount"]


async def three_beneficiaries(app, http, minter) -> list[dict]:
    """Recorded in old Phường 1 (29239), old Phường 3 (29242, province 84) and, since 2025, the new
    Phường Trà Vinh (29242, province 86) that both became; the third is suspended."""
    found = [await approved(http, minter) for _ in range(3)]
    await move(app, found[0]["person_id"], "84", "842", "29239")
    await move(app, found[1]["person_id"], "84", "842", "29242")
    await move(app, found[2]["person_id"], "86", "", "29242")
    r = await http.post(
        f"/beneficiaries/{found[2]['id']}/decisions",
        json={"kind": "suspend", "effective_month": "2025-12", "reason": "không nhận 3 tháng"},
        headers={**h(minter, {**CHECKER, "areas": ("86",)}), "If-Match": '"1"'},
    )
    assert r.status_code == 201, r.text
    return found


def rows_of(report: dict) -> dict[tuple[str, str], dict]:
    return {(row["province_code"], row["code"]): row for row in report["rows"]}


async def report(http, minter, **params) -> dict:
    r = await http.get("/reports/beneficiaries", params={"month": MONTH, **params}, headers=h(minter, EVERYWHERE))
    assert r.status_code == 200, r.text
    return r.json()


async def test_recorded_units_keep_old_and_new_communes_apart(app, http, minter):
    found = await three_beneficiaries(app, http, minter)
    amount = await entitled(http, minter, found[0]["id"])
    assert amount > 0

    rows = rows_of(await report(http, minter))
    assert rows["84", "29239"] | {"categories": None} == {
        "province_code": "84",
        "code": "29239",
        "name": "Phường 1",
        "beneficiaries": 1,
        "amount": amount,
        "suspended": 0,
        "categories": None,
        "recorded_codes": ["29239"],
        "note": "",
    }
    assert rows["84", "29239"]["categories"] == {"5.5a": 1}
    assert (rows["84", "29242"]["name"], rows["84", "29242"]["beneficiaries"]) == ("Phường 3", 1)
    new = rows["86", "29242"]
    assert (new["name"], new["beneficiaries"], new["amount"], new["suspended"]) == ("Phường Trà Vinh", 0, 0, 1)

    districts = rows_of(await report(http, minter, by="district"))
    assert districts["84", "842"]["name"] == "Thành phố Trà Vinh" and districts["84", "842"]["beneficiaries"] == 2
    assert districts["86", ""]["suspended"] == 1 and "no district" in districts["86", ""]["name"]


async def test_units_2025_group_old_records_under_the_commune_they_became(app, http, minter):
    found = await three_beneficiaries(app, http, minter)
    amounts = [await entitled(http, minter, b["id"]) for b in found]

    body = await report(http, minter, units="2025")
    assert body["units"] == "2025" and body["by"] == "commune"
    rows = rows_of(body)
    assert ("84", "29239") not in rows and ("84", "29242") not in rows
    merged = rows["86", "29242"]
    assert merged["name"] == "Phường Trà Vinh"
    assert (merged["beneficiaries"], merged["amount"], merged["suspended"]) == (2, sum(amounts), 1)
    assert merged["recorded_codes"] == ["29239", "29242"]

    provinces = rows_of(await report(http, minter, units="2025", by="province"))
    assert provinces["86", "86"]["name"] == "Tỉnh Vĩnh Long" and provinces["86", "86"]["beneficiaries"] == 2
    assert ("84", "84") not in provinces


async def test_reports_stay_within_the_clients_areas(app, http, minter):
    await three_beneficiaries(app, http, minter)

    async def rows(*areas: str) -> set[tuple[str, str]]:
        r = await http.get(
            "/reports/beneficiaries",
            params={"month": MONTH},
            headers=h(minter, {"client_id": "reader", "areas": areas}),
        )
        assert r.status_code == 200, r.text
        return {(row["province_code"], row["code"]) for row in r.json()["rows"]}

    # Areas are ground: the new province and today's Phường Trà Vinh cover the pre-2025 records of its communes.
    everything = {("84", "29242"), ("84", "29239"), ("86", "29242")}
    assert await rows("86") == await rows("29242") == await rows("842") == everything
    assert await rows("29239") == {("84", "29239")}  # old Phường 1 alone: never widened to Phường Trà Vinh
    assert await rows("29263") == set()


async def test_csv_report_has_vietnamese_headers_and_a_total_line(app, http, minter):
    found = await three_beneficiaries(app, http, minter)
    amount = await entitled(http, minter, found[0]["id"])
    r = await http.get(
        "/reports/beneficiaries",
        params={"month": MONTH, "units": "2025", "format": "csv"},
        headers=h(minter, {"client_id": "x", "areas": ("842",)}),
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    assert r.content.startswith("\ufeff".encode())
    lines = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert lines[0][:5] == ["Mã tỉnh", "Mã đơn vị", "Tên đơn vị", "Số đối tượng được chi trả", "Số tiền (đồng)"]
    assert lines[1][:5] == ["86", "29242", "Phường Trà Vinh", "2", str(2 * amount)]
    assert lines[-1][2:5] == ["Tổng cộng", "2", str(2 * amount)]


async def test_bad_report_requests_get_problems(http, minter):
    headers = h(minter, EVERYWHERE)
    r = await http.get("/reports/beneficiaries", params={"month": "2026-13"}, headers=headers)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.month"
    r = await http.get(
        "/reports/beneficiaries", params={"month": MONTH, "by": "district", "units": "2025"}, headers=headers
    )
    assert r.status_code == 422 and "abolished" in r.json()["errors"][0]["reason"]
    r = await http.get("/reports/beneficiaries", params={"month": MONTH, "units": "2030"}, headers=headers)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    r = await http.get("/reports/beneficiaries", params={"month": MONTH})
    assert r.status_code == 401
