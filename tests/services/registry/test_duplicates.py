"""Possible duplicates: flagged on registration, import and household changes (answered as usual), listed for
officers within their areas, dismissed or merged by an officer (never automatically), with history; a merge moves
applications, the beneficiary with its decisions and household memberships to the survivor and tells consumers."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select

from services.registry.models import EVENT_TABLES

from .test_beneficiaries import APPROVAL, CHECKER, MAKER, apply, h
from .test_imports import VI_HEADER, csv_file, imported, nid
from .test_referrals import drafts, feed, referral

WRITE = ("registry:read", "registry:write")
URL = "/persons/possible-duplicates"


def ba(tag: str, **overrides) -> dict:
    body = {"full_name": f"Trần Văn Ba {tag}", "date_of_birth": "1944-05-10", "sex": "male", "commune_code": "99101"}
    return {**body, **overrides}


async def register(http, minter, body: dict, areas=("991",)):
    r = await http.post("/persons", json=body, headers=minter.headers(*WRITE, areas=areas))
    assert r.status_code == 201, r.text
    return r


async def pairs(http, minter, areas=("99",), **params) -> list[dict]:
    r = await http.get(URL, params={"limit": 100, **params}, headers=minter.headers("registry:read", areas=areas))
    assert r.status_code == 200, r.text
    return r.json()["items"]


def ids_of(pair: dict) -> set[str]:
    return {p["id"] for p in pair["persons"]}


async def test_three_registrations_of_one_person_are_answered_as_usual_and_flagged(http, minter):
    tag = uuid.uuid4().hex[:6]
    first = await register(http, minter, ba(tag))
    assert first.json()["possible_duplicates"] == [] and "x-possible-duplicates" not in first.headers
    # Typed without diacritics, in other case: the same folded name.
    second = await register(http, minter, ba(tag, full_name=f"TRAN VAN BA {tag}"))
    assert second.json()["possible_duplicates"] == [first.json()["id"]]
    assert second.headers["x-possible-duplicates"] == "1"
    third = await register(http, minter, ba(tag))
    assert sorted(third.json()["possible_duplicates"]) == sorted([first.json()["id"], second.json()["id"]])
    assert third.headers["x-possible-duplicates"] == "2"
    people = {r.json()["id"] for r in (first, second, third)}

    mine = [p for p in await pairs(http, minter, status="open") if ids_of(p) <= people]
    assert len(mine) == 3 and all(p["rules"] == ["name_birth_date_commune"] for p in mine)
    assert {frozenset(ids_of(p)) for p in mine} == {
        frozenset(x)
        for x in (
            (first.json()["id"], second.json()["id"]),
            (first.json()["id"], third.json()["id"]),
            (second.json()["id"], third.json()["id"]),
        )
    }
    # Never merged automatically: all three records are live.
    for person_id in people:
        r = await http.get(f"/persons/{person_id}", headers=minter.headers("registry:read"))
        assert r.json()["merged_into"] is None


async def test_what_is_not_a_possible_duplicate(http, minter):
    tag = uuid.uuid4().hex[:6]
    dob = date(1944, 5, 10)
    await register(http, minter, ba(tag, national_id=nid(dob, "male")))
    # Two different national IDs: two people.
    r = await register(http, minter, ba(tag, national_id=nid(dob, "male")))
    assert r.json()["possible_duplicates"] == []
    # Another birth date, another commune: not the rule.
    assert (await register(http, minter, ba(tag, date_of_birth="1944-05-11"))).json()["possible_duplicates"] == []
    assert (await register(http, minter, ba(tag, commune_code="99102"))).json()["possible_duplicates"] == []
    # No national ID against one with an ID: flagged (with both other records of that date and commune).
    assert len((await register(http, minter, ba(tag))).json()["possible_duplicates"]) == 2


async def test_same_name_and_birth_year_in_a_household_is_flagged_when_the_household_is_made(http, minter):
    tag = uuid.uuid4().hex[:6]
    head = (await register(http, minter, ba(tag, full_name=f"Lê Thị Hoa {tag}", date_of_birth="1950-01-01"))).json()
    other = (
        await register(
            http, minter, ba(tag, full_name=f"Le Thi Hoa {tag}", date_of_birth="1950-12-31", commune_code="99102")
        )
    ).json()
    assert other["possible_duplicates"] == []  # another date and commune: nothing yet
    r = await http.post(
        "/households",
        headers=minter.headers(*WRITE, areas=("99",)),
        json={
            "commune_code": "99101",
            "members": [
                {"person_id": head["id"], "relationship": "head"},
                {"person_id": other["id"], "relationship": "sibling"},
            ],
        },
    )
    assert r.status_code == 201, r.text
    [pair] = [p for p in await pairs(http, minter) if ids_of(p) == {head["id"], other["id"]}]
    assert pair["rules"] == ["name_birth_year_household"] and pair["status"] == "open"


async def test_the_list_keeps_to_the_client_areas_and_pages(http, minter):
    tag = uuid.uuid4().hex[:6]
    for commune in ("99101", "99101", "99201", "99201"):
        await register(http, minter, ba(tag, commune_code=commune), areas=("99",))
    everywhere = [p for p in await pairs(http, minter) if tag in p["persons"][0]["full_name"]]
    assert len(everywhere) == 2
    here = [p for p in await pairs(http, minter, areas=("991",)) if tag in p["persons"][0]["full_name"]]
    assert [{q["commune_code"] for q in p["persons"]} for p in here] == [{"99101"}]
    first = await http.get(URL, params={"limit": 1}, headers=minter.headers("registry:read", areas=("99",)))
    assert len(first.json()["items"]) == 1 and first.json()["next_cursor"]
    rest = await http.get(
        URL,
        params={"limit": 100, "cursor": first.json()["next_cursor"]},
        headers=minter.headers("registry:read", areas=("99",)),
    )
    assert first.json()["items"][0]["id"] not in {p["id"] for p in rest.json()["items"]}
    # A pair outside the client's areas cannot be acted on either.
    outside = next(p for p in everywhere if p not in here)
    r = await http.post(
        f"{URL}/{outside['id']}/dismiss", json={"reason": "x"}, headers=minter.headers(*WRITE, areas=("991",))
    )
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"


async def test_an_officer_dismisses_a_pair_with_a_reason_kept_in_its_history(http, minter):
    tag = uuid.uuid4().hex[:6]
    a = (await register(http, minter, ba(tag))).json()
    b = (await register(http, minter, ba(tag))).json()
    [pair] = [p for p in await pairs(http, minter) if ids_of(p) == {a["id"], b["id"]}]
    officer = minter.headers(*WRITE, areas=("991",), client_id="commune-officer")
    r = await http.post(f"{URL}/{pair['id']}/dismiss", json={"reason": "Hai anh em sinh đôi"}, headers=officer)
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["note"], r.json()["resolved_by"]) == (
        "dismissed",
        "Hai anh em sinh đôi",
        "commune-officer",
    )
    again = await http.post(f"{URL}/{pair['id']}/dismiss", json={"reason": "x"}, headers=officer)
    assert again.status_code == 409 and again.json()["type"].endswith("/possible-duplicate-resolved")
    assert again.json()["pair_status"] == "dismissed"
    history = (await http.get(f"{URL}/{pair['id']}/history", headers=officer)).json()["items"]
    assert [(c["changed_by"], c["reason"], c["after"]["status"]) for c in history] == [
        ("commune-officer", "Hai anh em sinh đôi", "dismissed")
    ]
    # A dismissed pair is not flagged again when a third record comes.
    c = (await register(http, minter, ba(tag))).json()
    assert sorted(c["possible_duplicates"]) == sorted([a["id"], b["id"]])
    assert [p["status"] for p in await pairs(http, minter) if ids_of(p) == {a["id"], b["id"]}] == ["dismissed"]


async def _beneficiary(http, minter, person_id: str) -> dict:
    application_id = await apply(http, minter, person_id)
    r = await http.post(f"/applications/{application_id}/approve", json=APPROVAL, headers=h(minter, CHECKER))
    assert r.status_code == 201, r.text
    return r.json()


async def test_merging_moves_the_beneficiary_its_decisions_and_the_household_to_the_survivor(app, http, minter):
    tag = uuid.uuid4().hex[:6]
    survivor = (await register(http, minter, ba(tag, national_id=nid(date(1944, 5, 10), "male")))).json()
    duplicate = (await register(http, minter, ba(tag))).json()
    beneficiary = await _beneficiary(http, minter, duplicate["id"])
    r = await http.post(
        "/households",
        headers=minter.headers(*WRITE, areas=("99",)),
        json={"commune_code": "99101", "members": [{"person_id": duplicate["id"], "relationship": "head"}]},
    )
    assert r.status_code == 201, r.text
    household_id = r.json()["id"]
    # Child protection referred the person under both records, once for the same case.
    both = uuid.uuid4()
    assert await feed(
        app,
        referral(duplicate["id"], case_number="CP-000100"),
        referral(duplicate["id"], case_id=both, case_number="CP-000101"),
        referral(survivor["id"], case_id=both, case_number="CP-000101"),
    ) == [True, True, True]
    [pair] = [p for p in await pairs(http, minter) if ids_of(p) == {survivor["id"], duplicate["id"]}]

    officer = h(minter, MAKER)
    r = await http.post(
        f"{URL}/{pair['id']}/merge", headers=officer, json={"survivor_id": str(uuid.uuid4()), "reason": "x"}
    )
    assert r.status_code == 422
    r = await http.post(
        f"{URL}/{pair['id']}/merge",
        headers=officer,
        json={"survivor_id": survivor["id"], "reason": "Cùng một người: đối chiếu CCCD"},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["duplicate"]["status"] == "merged" and body["duplicate"]["survivor_id"] == survivor["id"]
    assert body["merged"]["merged_into"] == survivor["id"] and body["survivor"]["version"] == 2
    assert body["moved"] == {
        "applications": 1,
        "beneficiaries": 1,
        "decisions": 1,
        "household_memberships": 1,
        "residencies": 0,
        "study_periods": 0,
        "application_drafts": 1,
    }
    # One open draft per case for the survivor; the merged record's copy of the shared case is dismissed, saying why;
    # a referral still naming the merged record is the survivor's.
    assert await feed(app, referral(duplicate["id"], case_number="CP-000102")) == [True]
    found = await drafts(http, minter, who=MAKER)
    mine = sorted((d["source"], d["person_id"], d["status"]) for d in found)
    assert mine == sorted(
        [
            ("CP-000100", survivor["id"], "draft"),
            ("CP-000101", duplicate["id"], "dismissed"),
            ("CP-000101", survivor["id"], "draft"),
            ("CP-000102", survivor["id"], "draft"),
        ]
    )

    got = (await http.get(f"/beneficiaries/{beneficiary['id']}", headers=officer)).json()
    assert got["person_id"] == survivor["id"] and [d["kind"] for d in got["decisions"]] == ["approve"]
    members = (await http.get(f"/households/{household_id}", headers=officer)).json()["members"]
    assert [m["person_id"] for m in members] == [survivor["id"]]
    # Both records keep their history, and say who merged them and why.
    for person_id, key in ((survivor["id"], "merged_from"), (duplicate["id"], "merged_into")):
        history = (await http.get(f"/persons/{person_id}/history", headers=officer)).json()["items"]
        assert history[0]["reason"] == "Cùng một người: đối chiếu CCCD" and key in history[0]["after"]
        assert len(history) == 2
    # The record merged away is read by id, found by no search, and cannot be corrected.
    found = (await http.get("/persons", params={"q": f"tran van ba {tag}"}, headers=officer)).json()["items"]
    assert [p["id"] for p in found] == [survivor["id"]]
    r = await http.patch(
        f"/persons/{duplicate['id']}", json={"phone": "0912345678"}, headers={**officer, "If-Match": '"2"'}
    )
    assert r.status_code == 409 and survivor["id"] in r.json()["detail"]

    async with app.state.sessionmaker() as s:
        t = EVENT_TABLES.outbox
        rows = (
            await s.execute(
                select(t.c.type, t.c.envelope)
                .where(t.c.type.in_(("registry.person.merged.v1", "registry.beneficiary.entitlements_changed.v1")))
                .where(t.c.subject.in_((duplicate["id"], beneficiary["id"])))
                .order_by(t.c.id)
            )
        ).all()
    merged = [e["data"] for kind, e in rows if kind == "registry.person.merged.v1"]
    assert merged == [
        {
            "person_id": duplicate["id"],
            "survivor_id": survivor["id"],
            "beneficiary_id": beneficiary["id"],
            "commune_code": "99101",
            "district_code": "991",
            "province_code": "99",
        }
    ]
    schedules = [e["data"] for kind, e in rows if kind == "registry.beneficiary.entitlements_changed.v1"]
    assert schedules[-1]["person_id"] == survivor["id"]


async def test_two_beneficiaries_are_not_merged_and_the_officer_is_told_why(http, minter):
    tag = uuid.uuid4().hex[:6]
    a = (await register(http, minter, ba(tag))).json()
    b = (await register(http, minter, ba(tag))).json()
    await _beneficiary(http, minter, a["id"])
    await _beneficiary(http, minter, b["id"])
    [pair] = [p for p in await pairs(http, minter) if ids_of(p) == {a["id"], b["id"]}]
    r = await http.post(
        f"{URL}/{pair['id']}/merge", headers=h(minter, MAKER), json={"survivor_id": a["id"], "reason": "x"}
    )
    assert r.status_code == 409 and "both records are beneficiaries" in r.json()["detail"]
    assert r.json()["type"].endswith("/merge-conflict") and len(r.json()["problems"]) == 1
    assert [p["status"] for p in await pairs(http, minter) if p["id"] == pair["id"]] == ["open"]


async def test_an_import_flags_the_records_it_adds_and_imports_them_all_the_same(http, minter):
    tag = uuid.uuid4().hex[:6]
    existing = (await register(http, minter, ba(tag))).json()
    body = csv_file(
        VI_HEADER,
        f"1,Trần Văn Ba {tag},10/05/1944,Nam,{nid(date(1944, 5, 10), 'male')},99101,,",
        f"2,Người Khác {tag},10/05/1944,Nam,,99101,,",
    )
    out = await imported(http, minter, body)
    assert (out["imported"], out["duplicates"], out["possible_duplicates"]) == (2, 0, 1)
    [pair] = [p for p in await pairs(http, minter) if existing["id"] in ids_of(p)]
    assert pair["created_by"] == "test-client" and pair["status"] == "open"


async def test_an_import_in_chunks_flags_pairs_across_chunks_and_counts_both_records(http, minter, monkeypatch):
    # A first chunk of one row, then chunks of two: while the database writes one chunk Python checks the next, and a
    # pair whose records lie in different chunks is flagged when the later chunk lands; the count covers both records
    # of the pair.
    from services.registry.imports import service as imports_service

    monkeypatch.setattr(imports_service, "FIRST_CHUNK", 1)
    monkeypatch.setattr(imports_service, "CHUNK", 2)
    tag = uuid.uuid4().hex[:6]
    body = csv_file(
        VI_HEADER,
        f"1,Lâm Văn Tư {tag},10/05/1944,Nam,,99101,,",
        f"2,Người Khác {tag},11/05/1950,Nữ,,99101,,",
        f"3,Một Người {tag},12/05/1951,Nữ,,99101,,",
        f"4,Lam Van Tu {tag},10/05/1944,Nam,{nid(date(1944, 5, 10), 'male')},99101,,",
        f"5,Lâm Văn Tư {tag},10/05/1944,Nam,,99101,,",
    )  # the same key as line 1: rejected
    out = await imported(http, minter, body)
    assert (out["imported"], out["duplicates"], out["rejected"], out["possible_duplicates"]) == (4, 0, 1, 2)
    assert [(p["line"], p["reason"]) for p in out["problems"]] == [
        (6, "the same person as line 2 (same name, date of birth and commune (no national ID))")
    ]
    [pair] = [p for p in await pairs(http, minter) if all(tag in r["full_name"] for r in p["persons"])]
    assert sorted(r["full_name"] for r in pair["persons"]) == [f"Lam Van Tu {tag}", f"Lâm Văn Tư {tag}"]


async def test_an_import_flags_the_pairs_registration_would_in_the_file_and_the_registry(http, minter, monkeypatch):
    # The import flags its new records from their own keys, chunk by chunk (a first chunk of one row, then two):
    # each pair below is worked out by hand from the rule, with the registry's records and across and within chunks.
    from services.registry.imports import service as imports_service

    monkeypatch.setattr(imports_service, "FIRST_CHUNK", 1)
    monkeypatch.setattr(imports_service, "CHUNK", 2)
    tag = uuid.uuid4().hex[:6]
    await register(http, minter, ba(tag))  # A: no national ID
    ba_1944, nam_1960 = date(1944, 5, 10), date(1960, 2, 1)
    body = csv_file(
        VI_HEADER,
        f"1,Tran Van Ba {tag},10/05/1944,Nam,{nid(ba_1944, 'male')},99101,,",  # P (chunk 1): pairs with A
        # R before Q: a row without national ID after Q would be Q (test_imports), not a second record.
        f"2,Le Thi Nam {tag},01/02/1960,Nữ,,99101,,",  # R (chunk 2): no national ID, pairs with Q
        f"3,Lê Thị Năm {tag},01/02/1960,Nữ,{nid(nam_1960, 'female')},99101,,",  # Q (chunk 2)
        f"4,TRẦN VĂN BA {tag},10/05/1944,Nam,{nid(ba_1944, 'male')},99101,,",  # S (chunk 3): pairs with A, not P
        f"5,LÊ THỊ NĂM {tag},01/02/1960,Nữ,{nid(nam_1960, 'female')},99101,,",  # T (chunk 3): pairs with R, not Q
        f"6,Ngô Văn Sáu {tag},03/03/1970,Nam,,99101,,",  # U (chunk 4): no pair
    )
    out = await imported(http, minter, body)
    assert (out["imported"], out["duplicates"], out["rejected"], out["possible_duplicates"]) == (6, 0, 0, 5)
    found = {
        frozenset(r["full_name"].removesuffix(f" {tag}") for r in p["persons"])
        for p in await pairs(http, minter, status="open")
        if all(tag in r["full_name"] for r in p["persons"])
    }
    assert found == {
        frozenset(names)
        for names in (
            ("Trần Văn Ba", "Tran Van Ba"),
            ("Lê Thị Năm", "Le Thi Nam"),
            ("Trần Văn Ba", "TRẦN VĂN BA"),
            ("Le Thi Nam", "LÊ THỊ NĂM"),
        )
    }
