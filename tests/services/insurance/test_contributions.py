"""Contributions and the budget: 4.5% × base salary per card and month, the GB household scheme, state and household
parts apart, totals by group, period, commune and district (JSON, CSV, XLSX)."""

import csv
import io
import uuid
from datetime import date

from sqlalchemy import text

from .helpers import feed, joined, registered

CARD = text("""INSERT INTO insurance.cards (id, person_id, group_code, code, number, issuing_province, valid_from,
    valid_to, paid_on, commune_code, district_code, province_code) VALUES (gen_random_uuid(), :p, :g, :code,
    right(:code, 10), '84', :f, :t, :paid, :commune, :district, '84')""")


async def cards(app):
    household = uuid.uuid4()
    members = [uuid.uuid4() for _ in range(3)]
    child = uuid.uuid4()
    await feed(
        app,
        *[registered(m, date(1980, 1, 1), on=date(2020, 1, 1)) for m in members],
        *[joined(household, m, date(2020, 1, 1)) for m in members],
        registered(child, date(2024, 5, 1), on=date(2024, 6, 1), commune_code="84105", district_code="844"),
    )
    async with app.state.sessionmaker() as s:
        await s.execute(
            CARD,
            {
                "p": child,
                "g": "TE",
                "code": "TE1840000000001",
                "f": date(2024, 6, 1),
                "t": date(2024, 8, 31),
                "paid": None,
                "commune": "84105",
                "district": "844",
            },
        )
        for i, m in enumerate(members):
            await s.execute(
                CARD,
                {
                    "p": m,
                    "g": "GB",
                    "code": f"GB484000000001{i}",
                    "f": date(2024, 3, 1),
                    "t": date(2025, 2, 28),
                    "paid": date(2024, 3, 1) if i == 0 else date(2024, 3, 2),
                    "commune": "84101",
                    "district": "842",
                },
            )
        await s.commit()


async def report(http, minter, **params):
    r = await http.get("/contributions", params=params, headers=minter.headers("insurance:read"))
    assert r.status_code == 200, r.text
    return r


async def test_state_groups_follow_the_new_base_salary_and_gb_households_pay_the_scheme(app, http, minter):
    await cards(app)
    body = (await report(http, minter, first="2024-06", last="2024-08", by=["group", "period"])).json()
    rows = {
        (t["group"], t["period"]): (t["card_months"], t["total"], t["state"], t["household"]) for t in body["totals"]
    }
    # TE: 4.5% × 1,800,000 in June; 4.5% × 2,340,000 from July 2024 (the new base salary applies from its date).
    assert rows[("TE", "2024-06")] == (1, 81_000, 81_000, 0)
    assert rows[("TE", "2024-07")] == (1, 105_300, 105_300, 0)
    # GB, paid in March 2024 at 1,800,000 (fixed when paid): 1st member 100%, 2nd 70%, 3rd 60%; 30% state share.
    full = 81_000
    members = [full, round(full * 0.7), round(full * 0.6)]
    state = [round(m * 0.3) for m in members]
    assert rows[("GB", "2024-07")] == (3, sum(members), sum(state), sum(members) - sum(state))
    assert rows[("GB", "2024-07")] == rows[("GB", "2024-06")]
    g = body["grand_total"]
    assert g["total"] == g["state"] + g["household"] == 81_000 + 2 * 105_300 + 3 * sum(members)


async def test_totals_by_district_and_commune_within_the_clients_areas_as_csv(app, http, minter):
    await cards(app)
    r = await report(http, minter, first="2024-07", last="2024-07", by=["district"], format="csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0] == [
        "Mã huyện (cũ)",
        "Tên huyện (cũ)",
        "Số thẻ-tháng",
        "Tổng số tiền đóng",
        "Ngân sách nhà nước hỗ trợ",
        "Hộ gia đình đóng",
    ]
    assert rows[1][:3] == ["842", "Thành phố Trà Vinh", "3"]
    assert rows[2][:4] == ["844", "Huyện Càng Long", "1", "105300"]
    assert rows[3][0] == "Tổng cộng"
    limited = await http.get(
        "/contributions",
        params={"first": "2024-07", "last": "2024-07", "by": "commune"},
        headers=minter.headers("insurance:read", areas=("844",)),
    )
    assert [(t["commune_code"], t["total"]) for t in limited.json()["totals"]] == [("84105", 105_300)]
    xlsx = await report(http, minter, first="2024-07", last="2024-07", by=["group"], format="xlsx")
    assert xlsx.content[:2] == b"PK"
    bad = await http.get(
        "/contributions",
        params={"first": "2024-07", "last": "2024-07", "by": "colour"},
        headers=minter.headers("insurance:read"),
    )
    assert bad.status_code == 422
    # The fuzzer's find: a month of year 0 was a 500; it is a 422 naming the parameter.
    bad = await http.get(
        "/contributions", params={"first": "0000-01", "last": "2024-07"}, headers=minter.headers("insurance:read")
    )
    assert (bad.status_code, bad.json()["errors"][0]["field"]) == (422, "query.first")


NEW_CARD = text("""INSERT INTO insurance.cards (id, person_id, group_code, code, number, issuing_province, valid_from,
    valid_to, paid_on, commune_code, district_code, province_code) VALUES (gen_random_uuid(), :p, 'TE', :code,
    right(:code, 10), '86', DATE '2025-08-01', DATE '2026-09-30', NULL, :commune, '', '86')""")


async def test_cards_recorded_in_2025_communes_count_under_the_old_district_they_came_from(app, http, minter):
    """Item 5: totals by old district through the registry's 2025 mapping. A person recorded after the merger carries
    a new commune and no district: 29242 (Phường Trà Vinh) was made of communes of 842 only; 29398 (Phường Hòa
    Thuận) of 842's Phường 5 and 847's Xã Hòa Thuận, so it is reported under both, never guessed."""
    await cards(app)
    new = {uuid.uuid4(): "29242", uuid.uuid4(): "29242", uuid.uuid4(): "29398", uuid.uuid4(): "29266"}
    await feed(
        app,
        *[
            registered(p, date(2025, 7, 20), on=date(2025, 8, 1), commune_code=c, district_code="", province_code="86")
            for p, c in new.items()
        ],
    )
    async with app.state.sessionmaker() as s:
        for i, (p, c) in enumerate(new.items()):
            await s.execute(NEW_CARD, {"p": p, "code": f"TE186000000010{i}", "commune": c})
        await s.commit()
    body = (await report(http, minter, first="2025-08", last="2025-08", by=["district"])).json()
    rows = {t["district_code"]: (t["card_months"], t["district_name"]) for t in body["totals"]}
    assert rows == {
        "842": (2, "Thành phố Trà Vinh"),
        "842+847": (1, "Thành phố Trà Vinh + Huyện Châu Thành"),
        "844": (1, "Huyện Càng Long"),
    }
    # GB cards of 842 (2024-03 → 2025-02) are outside August 2025; the old-district rows add up to the grand total.
    assert sum(n for n, _ in rows.values()) == body["grand_total"]["card_months"] == 4
    # By district and commune, as CSV with the old district's name beside its code.
    r = await report(http, minter, first="2025-08", last="2025-08", by=["district", "commune"], format="csv")
    lines = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert lines[0][:3] == ["Mã huyện (cũ)", "Tên huyện (cũ)", "Mã xã"]
    assert ["842", "Thành phố Trà Vinh", "29242", "2"] == lines[1][:4]
    assert lines[2][:4] == ["842+847", "Thành phố Trà Vinh + Huyện Châu Thành", "29398", "1"]
    assert lines[-1][0] == "Tổng cộng" and lines[-1][3] == "4"
    # A client limited to old district 847 sees the new commune that straddles it (its territory), not 842's.
    limited = (
        await http.get(
            "/contributions",
            params={"first": "2025-08", "last": "2025-08", "by": "district"},
            headers=minter.headers("insurance:read", areas=("847",)),
        )
    ).json()
    assert [(t["district_code"], t["card_months"]) for t in limited["totals"]] == [("842+847", 1)]
    xlsx = await report(http, minter, first="2025-08", last="2025-08", by=["district"], format="xlsx")
    assert xlsx.content[:2] == b"PK"
