"""The change feed devices sync from, children's group history, and the reports (counts only)."""

import csv
import io

from openpyxl import load_workbook

from .conftest import COMMUNE, OTHER_COMMUNE, new_case, supervisor, worker


async def test_change_feed_per_area_in_order(http, minter, now):
    start = (await http.get("/changes", headers=worker(minter))).json()["next_cursor"]
    a = (await http.post("/cases", json=new_case(), headers=worker(minter))).json()
    far = worker(minter, client_id="officer-far", areas=("844",))
    b = (
        await http.post("/cases", json=new_case(child={"full_name": "Bé", "commune_code": OTHER_COMMUNE}), headers=far)
    ).json()
    await http.patch(f"/cases/{a['id']}", json={"risk_level": "low"}, headers={**worker(minter), "If-Match": '"1"'})
    page = (await http.get("/changes", params={"after": start}, headers=worker(minter))).json()
    got = [(c["entity"], c["id"], c["version"]) for c in page["items"]]
    assert got == [("child", a["child_id"], 1), ("case", a["id"], 1), ("case", a["id"], 2)]
    positions = [c["position"] for c in page["items"]]
    assert positions == sorted(positions)
    nothing = (await http.get("/changes", params={"after": page["next_cursor"]}, headers=worker(minter))).json()
    assert nothing["items"] == [] and nothing["next_cursor"] == page["next_cursor"]
    theirs = (await http.get("/changes", params={"after": start}, headers=far)).json()
    assert {c["id"] for c in theirs["items"]} == {b["id"], b["child_id"]}
    bad = await http.get("/changes", params={"after": "not-a-cursor"}, headers=worker(minter))
    assert bad.status_code == 422


async def test_groups_have_effective_dated_history_with_evidence(http, minter, now):
    child = (
        await http.post(
            "/children",
            headers=worker(minter),
            json={
                "full_name": "Trần Thị Bình",
                "commune_code": COMMUNE,
                "date_of_birth": "2015-01-10",
                "groups": [
                    {"group": "orphan", "valid_from": "2024-03-01", "evidence": "death certificates 1/2024, 2/2024"}
                ],
            },
        )
    ).json()
    assert child["groups"][0]["group"] == "orphan" and child["groups"][0]["valid_to"] is None
    overlap = await http.post(
        f"/children/{child['id']}/groups",
        headers=worker(minter),
        json={"group": "orphan", "valid_from": "2025-01-01", "evidence": "x"},
    )
    assert overlap.status_code == 409
    unknown = await http.post(
        f"/children/{child['id']}/groups",
        headers=worker(minter),
        json={"group": "lonely", "valid_from": "2025-01-01", "evidence": "x"},
    )
    assert unknown.status_code == 422
    ended = await http.post(
        f"/children/{child['id']}/groups/{child['groups'][0]['id']}/end",
        headers=worker(minter),
        json={"valid_to": "2026-06-30", "evidence": "adoption decision 7"},
    )
    assert ended.status_code == 200
    added = (
        await http.post(
            f"/children/{child['id']}/groups",
            headers=worker(minter),
            json={"group": "disabled", "valid_from": "2026-07-01", "evidence": "certificate 99"},
        )
    ).json()
    assert [(g["group"], g["valid_to"]) for g in added["groups"]] == [("disabled", None), ("orphan", "2026-06-30")]
    # Reported on a day when the child was an orphan, and on a later one when the child was in another group.
    before = (await http.get("/reports/children", params={"on": "2025-01-01"}, headers=supervisor(minter))).json()
    after = (await http.get("/reports/children", params={"on": "2026-12-01"}, headers=supervisor(minter))).json()
    assert [(r["group"], r["children"]) for r in before["rows"] if r["commune_code"] == COMMUNE] == [("orphan", 1)]
    assert [(r["group"], r["children"]) for r in after["rows"] if r["commune_code"] == COMMUNE] == [("disabled", 1)]
    assert after["rows"][0]["district_code"] == "842" and after["rows"][0]["commune_name"] == "Phường Long Đức"


async def test_linking_an_identified_child_under_six_proposes_insurance(http, minter, now):
    child = (
        await http.post(
            "/children",
            headers=worker(minter),
            json={
                "full_name": "Bé Tí",
                "commune_code": COMMUNE,
                "date_of_birth": "2023-02-01",
                "has_insurance_card": False,
            },
        )
    ).json()
    assert child["insurance_proposed_at"] is None  # not yet identified
    linked = await http.patch(
        f"/children/{child['id']}",
        headers={**worker(minter), "If-Match": '"1"'},
        json={"person_id": "0190a3c4-0000-7000-8000-000000000001"},
    )
    assert linked.status_code == 200 and linked.json()["insurance_proposed_at"] is not None
    other = (
        await http.post("/children", headers=worker(minter), json={"full_name": "Bé Hai", "commune_code": COMMUNE})
    ).json()
    dup = await http.patch(
        f"/children/{other['id']}",
        headers={**worker(minter), "If-Match": '"1"'},
        json={"person_id": "0190a3c4-0000-7000-8000-000000000001"},
    )
    assert dup.status_code == 409 and dup.json()["existing"] == f"/child-protection/children/{child['id']}"


async def test_report_formats_and_formula_safe_cells(http, minter, now):
    await http.post("/cases", json=new_case(), headers=worker(minter))
    await http.post(
        "/children",
        headers=worker(minter),
        json={
            "full_name": '=HYPERLINK("x")',
            "commune_code": COMMUNE,
            "groups": [{"group": "abandoned", "valid_from": "2026-01-01", "evidence": "police record"}],
        },
    )
    admin = minter.headers("admin", client_id="dev-admin")
    r = await http.get("/reports/children", params={"format": "csv"}, headers=admin)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0] == ["Mã huyện (cũ)", "Mã xã", "Tên xã", "Nhóm hoàn cảnh đặc biệt", "Số trẻ em"]
    assert ["842", COMMUNE, "Phường Long Đức", "abandoned", "1"] in rows
    assert "HYPERLINK" not in r.text  # names never reach a report
    x = await http.get("/reports/deadlines", params={"format": "xlsx"}, headers=admin)
    sheet = load_workbook(io.BytesIO(x.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][0] == "Bước" and ["emergency_action", 0, 0, 0, 1] in values
    support = (await http.get("/reports/support", headers=admin)).json()
    assert support["rows"] == [
        {
            "district_code": "842",
            "commune_code": COMMUNE,
            "commune_name": "Phường Long Đức",
            "children": 1,
            "supported": 0,
            "share_percent": 0.0,
        }
    ]


async def test_a_change_committed_late_is_never_skipped(test_db):
    """A writer that committed after a later writer: its change gets the next position when a reader numbers it,
    never one below a position a device has already read past."""
    import uuid

    from sqlalchemy import delete
    from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

    from services.child_protection.changes import repository
    from services.child_protection.models import Change

    engine = create_async_engine(test_db.urls["child_protection"].replace("postgresql://", "postgresql+asyncpg://"))
    ids = [uuid.uuid4(), uuid.uuid4()]

    async def write(session, entity_id):
        await repository.add(
            session,
            entity="case",
            entity_id=entity_id,
            commune_code="29236",
            district_code="842",
            province_code="84",
            case_id=entity_id,
            child_id=None,
            version=1,
        )

    async def read(after):
        async with AsyncSession(engine) as s, s.begin():
            await repository.number_pending(s)
            return [
                (c.entity_id, c.position)
                for c in await repository.after(s, after, None, None, 100)
                if c.entity_id in ids
            ]

    try:
        async with AsyncSession(engine) as slow, AsyncSession(engine) as fast:
            await slow.begin()
            await write(slow, ids[0])  # inserted first, committed last
            async with fast.begin():
                await write(fast, ids[1])
            seen = await read(0)
            assert [e for e, _ in seen] == [ids[1]]
            cursor = seen[0][1]
            await slow.commit()
        later = await read(cursor)
        assert [e for e, _ in later] == [ids[0]] and later[0][1] > cursor
    finally:
        async with AsyncSession(engine) as s, s.begin():
            await s.execute(delete(Change).where(Change.entity_id.in_(ids)))
        await engine.dispose()
