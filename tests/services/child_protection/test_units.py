"""Communes of child-protection writes follow the rule of every service (common/units.py): a commune in force today,
422 naming the field otherwise (a pre-2025 code names what it became); outside the caller's areas, 404. And the
placement event carries what payments' foster programme needs, without names."""

from sqlalchemy import text

from .conftest import COMMUNE, OLD_COMMUNE, OTHER_COMMUNE, new_case, worker


def problem_fields(r):
    return {e["field"]: e["reason"] for e in r.json()["errors"]}


async def test_an_unknown_or_abolished_commune_is_a_422_naming_the_field(http, minter, now):
    r = await http.post(
        "/cases", headers=worker(minter), json=new_case(child={"full_name": "Bé Tư", "commune_code": "99999"})
    )
    assert r.status_code == 422 and "unknown commune" in problem_fields(r)["body.child.commune_code"]
    r = await http.post(
        "/cases", headers=worker(minter), json=new_case(child={"full_name": "Bé Tư", "commune_code": OLD_COMMUNE})
    )
    assert r.status_code == 422
    reason = problem_fields(r)["body.child.commune_code"]
    assert "abolished on 2025-07-01" in reason and COMMUNE in reason
    r = await http.post("/children", headers=worker(minter), json={"full_name": "Bé Năm", "commune_code": "2923x"})
    assert r.status_code == 422 and "body.commune_code" in problem_fields(r)
    r = await http.post(
        "/children",
        headers=worker(minter),
        json={"full_name": "Bé Năm", "commune_code": COMMUNE, "date_of_birth": "2001-01-01"},
    )
    assert r.status_code == 422 and "body.date_of_birth" in problem_fields(r)


async def test_a_commune_outside_the_areas_is_404_on_create_and_on_a_move(http, minter, now):
    # The officer of old district 842 writes in the 2025 communes on that ground, not elsewhere.
    r = await http.post("/children", headers=worker(minter), json={"full_name": "Bé Sáu", "commune_code": COMMUNE})
    assert r.status_code == 201, r.text
    child = r.json()
    assert (child["commune_code"], child["district_code"], child["province_code"]) == (COMMUNE, "", "86")
    r = await http.post(
        "/children", headers=worker(minter), json={"full_name": "Bé Bảy", "commune_code": OTHER_COMMUNE}
    )
    assert r.status_code == 404
    patch = {**worker(minter), "If-Match": '"1"', "Content-Type": "application/merge-patch+json"}
    moved = await http.patch(f"/children/{child['id']}", json={"commune_code": OTHER_COMMUNE}, headers=patch)
    assert moved.status_code == 404
    moved = await http.patch(f"/children/{child['id']}", json={"commune_code": OLD_COMMUNE}, headers=patch)
    assert moved.status_code == 422 and "body.commune_code" in problem_fields(moved)


async def test_the_placement_event_carries_the_case_number_and_no_name(http, minter, now, app):
    r = await http.post(
        "/cases",
        headers=worker(minter),
        json=new_case(
            child={
                "full_name": "Nguyễn Văn An",
                "commune_code": COMMUNE,
                "date_of_birth": "2023-05-04",
                "groups": [{"group": "orphan", "valid_from": "2025-01-01", "evidence": "death certificates"}],
            }
        ),
    )
    assert r.status_code == 201, r.text
    case = r.json()
    r = await http.post(
        "/placements",
        headers=worker(minter),
        json={
            "child_id": case["child_id"],
            "case_id": case["id"],
            "kind": "foster",
            "carer": "Phạm Thị Dung, ấp 2",
            "carer_birth_date": "1980-05-05",
            "non_kin_reason": "no relative able to care",
            "starts_on": "2026-11-01",
        },
    )
    assert r.status_code == 201, r.text
    async with app.state.sessionmaker() as session:
        data = (
            await session.execute(
                text(
                    "SELECT envelope->'data' FROM child_protection.outbox WHERE type = "
                    "'child_protection.placement.recorded.v1'"
                )
            )
        ).scalar_one()
    assert (data["case_number"], data["foster_allowance"], data["child_date_of_birth"], data["kind"]) == (
        case["number"],
        True,
        "2023-05-04",
        "foster",
    )
    assert "Dung" not in str(data) and "An" not in str(data).split("'")


async def test_a_group_recorded_after_the_placement_publishes_its_foster_terms_again(http, minter, now, app):
    r = await http.post(
        "/children",
        headers=worker(minter),
        json={"full_name": "Bé Tám", "commune_code": COMMUNE, "date_of_birth": "2023-05-04"},
    )
    assert r.status_code == 201, r.text
    child = r.json()
    r = await http.post(
        "/placements",
        headers=worker(minter),
        json={
            "child_id": child["id"],
            "kind": "foster",
            "carer": "Phạm Thị Dung, ấp 2",
            "carer_birth_date": "1980-05-05",
            "non_kin_reason": "no relative able to care",
            "starts_on": "2026-10-01",
        },
    )
    assert r.status_code == 201 and r.json()["foster_allowance"] is False
    # The death certificates arrive later: the child was an orphan from before the placement.
    r = await http.post(
        f"/children/{child['id']}/groups",
        headers=worker(minter),
        json={"group": "orphan", "valid_from": "2026-09-01", "evidence": "death certificates 3, 4/2026"},
    )
    assert r.status_code in (200, 201), r.text
    r = await http.patch(
        f"/children/{child['id']}",
        json={"full_name": "Bé Tám Thạch"},
        headers={
            **worker(minter),
            "If-Match": f'"{r.json()["version"]}"',
            "Content-Type": "application/merge-patch+json",
        },
    )
    assert r.status_code == 200, r.text  # a change that touches no foster term publishes nothing
    async with app.state.sessionmaker() as session:
        flags = (
            (
                await session.execute(
                    text(
                        "SELECT envelope->'data'->>'foster_allowance' FROM child_protection.outbox "
                        "WHERE type = 'child_protection.placement.recorded.v1' ORDER BY id"
                    )
                )
            )
            .scalars()
            .all()
        )
    assert flags == ["false", "true"]
