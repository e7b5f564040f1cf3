"""The insurance figures of the year-end report (`GET /reports/cards`): cards in force at year end and valid in the
year by group and by unit (old district or 2025 commune), and what the year's card-months cost, the state and the
households apart. Every expected figure below is worked out by hand from rules.md §6."""

import uuid
from datetime import date

from sqlalchemy import text

CARD = text("""INSERT INTO insurance.cards (id, person_id, group_code, code, number, issuing_province, valid_from,
    valid_to, paid_on, commune_code, district_code, province_code) VALUES (gen_random_uuid(), :p, :g, :code,
    right(:code, 10), :province, :f, :t, :paid, :commune, :district, :province)""")

# 2025: base salary 2,340,000 (from 2024-07) × 4.5% = 105,300 a card-month.
MONTH = 105_300
CARDS = [
    # Phường 1 (old 29239, district 842) became Phường Trà Vinh (29242): a BT card all year, still in force.
    ("BT", "BT2840000000001", date(2025, 1, 1), None, None, "84", "842", "29239"),
    # Made after the merger in Phường Trà Vinh (no district): TE from August, in force at year end.
    ("TE", "TE1860000000002", date(2025, 8, 1), date(2030, 9, 30), None, "86", "", "29242"),
    # 29398 lies across old districts 842 and 847: HN for September and October only.
    ("HN", "HN2860000000003", date(2025, 9, 1), date(2025, 10, 31), None, "86", "", "29398"),
    # Phường 4 (29236, district 842) became Phường Long Đức (29263): GB paid on 2024-12-15 for 12 months.
    ("GB", "GB4840000000004", date(2024, 12, 15), date(2025, 12, 14), date(2024, 12, 15), "84", "842", "29236"),
    # A card of 2024 only: not in the 2025 report.
    ("TE", "TE1840000000005", date(2024, 1, 1), date(2024, 12, 31), None, "84", "842", "29239"),
]


async def seed_cards(app):
    async with app.state.sessionmaker() as s:
        for g, code, f, t, paid, province, district, commune in CARDS:
            await s.execute(
                CARD,
                {
                    "p": uuid.uuid4(),
                    "g": g,
                    "code": code,
                    "f": f,
                    "t": t,
                    "paid": paid,
                    "province": province,
                    "district": district,
                    "commune": commune,
                },
            )
        await s.commit()


def figures(row):
    return tuple(row[k] for k in ("cards_in_force", "cards_valid", "card_months", "cost", "state", "household"))


async def test_cards_by_group_with_cost_and_state_share(app, http, minter):
    await seed_cards(app)
    r = await http.get("/reports/cards", params={"year": 2025}, headers=minter.headers("insurance:read"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["as_of"], body["first"], body["last"], body["by"]) == ("2025-12-31", "2025-01", "2025-12", "district")
    groups = {g["group"]: figures(g) for g in body["groups"]}
    gb_state = round(MONTH * 0.3)  # 31,590: the state's minimum 30%; the household pays the rest
    assert groups == {
        "TE": (1, 1, 5, 5 * MONTH, 5 * MONTH, 0),
        "BT": (1, 1, 12, 12 * MONTH, 12 * MONTH, 0),
        "HN": (0, 1, 2, 2 * MONTH, 2 * MONTH, 0),
        "GB": (0, 1, 12, 12 * MONTH, 12 * gb_state, 12 * (MONTH - gb_state)),
    }
    assert [g["group"] for g in body["groups"]] == ["TE", "BT", "HN", "GB"]  # statutory order
    assert body["groups"][0]["name"] == "Trẻ em dưới 6 tuổi"
    assert figures(body["total"]) == (
        2,
        4,
        31,
        31 * MONTH,
        31 * MONTH - 12 * (MONTH - gb_state),
        12 * (MONTH - gb_state),
    )
    # The costs are the contributions report's for the same months.
    r = await http.get(
        "/contributions",
        params={"first": "2025-01", "last": "2025-12", "by": "group"},
        headers=minter.headers("insurance:read"),
    )
    assert {t["group"]: (t["card_months"], t["total"], t["state"]) for t in r.json()["totals"]} == {
        g: (v[2], v[3], v[4]) for g, v in groups.items()
    }


async def test_by_old_district_and_by_2025_commune_within_the_clients_areas(app, http, minter):
    await seed_cards(app)
    r = await http.get("/reports/cards", params={"year": 2025}, headers=minter.headers("insurance:read"))
    rows = {u["code"]: (u["name"], u["note"], figures(u)) for u in r.json()["rows"]}
    # The TE card of the 2025 commune Phường Trà Vinh counts under the old district its communes came from (842);
    # 29398 straddles 842 and 847 and stays apart, said so.
    assert rows["842"][:2] == ("Thành phố Trà Vinh", "")
    assert rows["842"][2][:3] == (2, 3, 29)
    assert rows["29398"][1] == "2025 commune across old districts 842, 847"
    assert set(rows) == {"842", "29398"}
    r = await http.get(
        "/reports/cards", params={"year": 2025, "units": "2025"}, headers=minter.headers("insurance:read")
    )
    body = r.json()
    assert body["by"] == "commune"
    rows = {u["code"]: (u["name"], figures(u)[:3]) for u in body["rows"]}
    assert rows == {
        "29242": ("Phường Trà Vinh", (2, 2, 17)),
        "29263": ("Phường Long Đức", (0, 1, 12)),
        "29398": (rows["29398"][0], (0, 1, 2)),
    }
    # A client of one commune sees that commune's cards only.
    r = await http.get(
        "/reports/cards",
        params={"year": 2025, "units": "2025"},
        headers=minter.headers("insurance:read", areas=("29263",)),
    )
    assert [(u["code"], figures(u)[:3]) for u in r.json()["rows"]] == [("29263", (0, 1, 12))]


async def test_bad_queries_are_problems_naming_the_parameter(http, minter):
    for params, field in (
        ({"year": 2099}, "query.year"),
        ({"year": "x"}, "query.year"),
        ({"year": 2025, "units": "1990"}, "query.units"),
    ):
        r = await http.get("/reports/cards", params=params, headers=minter.headers("insurance:read"))
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["field"] == field
    r = await http.get("/reports/cards", params={"year": 2025}, headers=minter.headers("registry:read"))
    assert r.status_code == 403
