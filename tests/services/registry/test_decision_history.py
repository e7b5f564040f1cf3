"""GET /beneficiaries/{id}/decisions: the append-only decisions, newest first, paged, within the client's areas."""

from __future__ import annotations

from .test_beneficiaries import CHECKER, approved, h


async def decided(http, minter) -> dict:
    body = await approved(http, minter)  # version 1: approve 5.5a from 2021-01
    url = f"/beneficiaries/{body['id']}/decisions"
    for version, decision in enumerate(
        [
            {"kind": "suspend", "effective_month": "2022-03", "reason": "3 tháng không nhận", "number": "S-1"},
            {"kind": "reinstate", "effective_month": "2022-05"},
            {"kind": "change_category", "effective_month": "2023-01", "categories": ["5.5a", "5.6"]},
            {"kind": "record_death", "death_date": "2025-02-14", "number": "KT-9"},
        ],
        start=1,
    ):
        r = await http.post(url, json=decision, headers={**h(minter, CHECKER), "If-Match": f'"{version}"'})
        assert r.status_code == 201, r.text
    return body


async def test_decisions_newest_first_with_state_before_and_after(http, minter):
    body = await decided(http, minter)
    r = await http.get(f"/beneficiaries/{body['id']}/decisions", headers=minter.headers("registry:read", **CHECKER))
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert r.json()["next_cursor"] is None
    assert [(i["version"], i["kind"], i["effective_month"]) for i in items] == [
        (5, "record_death", "2025-03"),
        (4, "change_category", "2023-01"),
        (3, "reinstate", "2022-05"),
        (2, "suspend", "2022-03"),
        (1, "approve", "2021-01"),
    ]
    assert [(i["before"], i["after"]) for i in items] == [
        ({"status": "active", "categories": ["5.5a", "5.6"]}, {"status": "deceased", "categories": ["5.5a", "5.6"]}),
        ({"status": "active", "categories": ["5.5a"]}, {"status": "active", "categories": ["5.5a", "5.6"]}),
        ({"status": "suspended", "categories": ["5.5a"]}, {"status": "active", "categories": ["5.5a"]}),
        ({"status": "active", "categories": ["5.5a"]}, {"status": "suspended", "categories": ["5.5a"]}),
        (None, {"status": "active", "categories": ["5.5a"]}),
    ]
    death, suspension, approval = items[0], items[3], items[4]
    assert (death["death_date"], death["number"], death["reason"], death["decided_by"]) == (
        "2025-02-14",
        "KT-9",
        "death",
        "district-chairman",
    )
    assert (suspension["reason"], suspension["number"]) == ("3 tháng không nhận", "S-1")
    assert (approval["number"], approval["authority"], approval["signed_on"], approval["categories"]) == (
        "12/QĐ-UBND",
        "Chủ tịch UBND huyện Thử",
        "2021-01-15",
        ["5.5a"],
    )
    assert all(i["recorded_at"] for i in items)

    # The last version is the beneficiary's ETag.
    r = await http.get(f"/beneficiaries/{body['id']}", headers=minter.headers("registry:read", **CHECKER))
    assert r.headers["etag"] == f'"{items[0]["version"]}"'


async def test_pages_follow_the_cursor_without_gaps_or_repeats(http, minter):
    body = await decided(http, minter)
    url, read = f"/beneficiaries/{body['id']}/decisions", minter.headers("registry:read", **CHECKER)
    seen, cursor, pages = [], None, 0
    while True:
        r = await http.get(url, params={"limit": 2, **({"cursor": cursor} if cursor else {})}, headers=read)
        assert r.status_code == 200, r.text
        pages += 1
        seen += [i["version"] for i in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            break
    assert seen == [5, 4, 3, 2, 1] and pages == 3


async def test_outside_the_areas_unknown_and_bad_input(http, minter):
    body = await decided(http, minter)
    url = f"/beneficiaries/{body['id']}/decisions"
    r = await http.get(url, headers=minter.headers("registry:read", areas=("992",)))
    assert r.status_code == 404
    assert (await http.get(url, headers=minter.headers("registry:read", areas=("99",)))).status_code == 200
    r = await http.get(
        "/beneficiaries/00000000-0000-0000-0000-000000000000/decisions", headers=minter.headers("registry:read")
    )
    assert r.status_code == 404
    for params in ({"cursor": "nonsense"}, {"cursor": "WyJ4Il0"}, {"limit": 0}, {"limit": 101}):
        r = await http.get(url, params=params, headers=minter.headers("registry:read"))
        assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json", params
    r = await http.get(url, headers=minter.headers("payments:read"))
    assert r.status_code == 403
