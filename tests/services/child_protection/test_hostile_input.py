"""Hostile and careless input to child protection, through the HTTP API: tampered cursors and out-of-range ids are
a 422 naming the parameter (never a 500), a conflict never reveals a record of another area, text that is blank or
carries control or direction-override characters is refused rather than stored, and a retried upload with the same
``Idempotency-Key`` stores the file once."""

import base64
import json
import uuid

import pytest

from .conftest import COMMUNE, OTHER_COMMUNE, new_case, supervisor, worker

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64 + b"photo of form 02"


def tampered(values):
    """A cursor as this API packs one, holding ``values`` the client wrote itself."""
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("path", "param", "values", "who"),
    [
        ("/cases", "cursor", [2**70], worker),
        ("/cases", "cursor", [-(2**63) - 1], worker),
        ("/changes", "after", [2**64], worker),
        ("/audit", "cursor", [10**30], supervisor),
        ("/deadlines/overdue", "cursor", ["2026-12-01T00:00:00+07:00", 2**63], worker),
        ("/deadlines/due-soon", "cursor", ["0001-01-01T00:00:00+14:00", 1], worker),
        ("/deadlines/overdue", "cursor", ["9999-12-31T23:59:59-14:00", 1], worker),
    ],
)
async def test_a_tampered_cursor_is_a_422_naming_its_parameter(http, minter, now, path, param, values, who):
    r = await http.get(path, params={param: tampered(values)}, headers=who(minter))
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["errors"] == [{"field": f"query.{param}", "reason": "not a cursor returned by this API"}]


@pytest.mark.parametrize("membership_id", [2**63, 10**25, 0, -1])
async def test_a_membership_id_out_of_range_is_a_422_naming_the_path(http, minter, now, membership_id):
    case = (await http.post("/cases", json=new_case(), headers=worker(minter))).json()
    r = await http.post(
        f"/children/{case['child_id']}/groups/{membership_id}/end",
        json={"valid_to": "2026-06-30", "evidence": "adoption decision 7/2026"},
        headers=worker(minter),
    )
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == ["path.membership_id"]


async def test_a_conflict_never_names_a_child_record_of_another_area(http, minter, now):
    """One registry person has one child record. An officer of another district who records the same person learns
    that much (409), but not which record, where: the id would let it probe the record, and the pairing of a person
    with a child-protection file is the most sensitive fact the platform holds."""
    person = str(uuid.uuid4())
    near = worker(minter)
    far = worker(minter, client_id="officer-far", areas=("844",))
    first = await http.post(
        "/children", json={"full_name": "Trần Bé", "commune_code": COMMUNE, "person_id": person}, headers=near
    )
    assert first.status_code == 201, first.text
    r = await http.post(
        "/children", json={"full_name": "Trần Bé", "commune_code": OTHER_COMMUNE, "person_id": person}, headers=far
    )
    assert r.status_code == 409 and r.json()["type"].endswith("/child-exists"), r.text
    assert "existing" not in r.json() and first.json()["id"] not in r.text and COMMUNE not in r.text
    unnamed = (
        await http.post("/children", json={"full_name": "Bé", "commune_code": OTHER_COMMUNE}, headers=far)
    ).json()
    r = await http.patch(f"/children/{unnamed['id']}", json={"person_id": person}, headers={**far, "If-Match": '"1"'})
    assert r.status_code == 409 and "existing" not in r.json() and first.json()["id"] not in r.text, r.text
    # Within the officer's own areas the conflict still points at the record.
    r = await http.post(
        "/children", json={"full_name": "Trần Bé", "commune_code": COMMUNE, "person_id": person}, headers=near
    )
    assert r.status_code == 409 and r.json()["existing"] == f"/child-protection/children/{first.json()['id']}"


@pytest.mark.parametrize(
    "full_name",
    [
        "   ",
        "Nguyễn\x01An",
        "Nguyễn\x7fAn",
        "Nguyễn\u0085An",
        "Nguyễn\tAn",
        "Nguyễn\nAn",
        "An\u202egnàoH",
        "\u2066An\u2069",
    ],
)
async def test_a_name_that_is_blank_or_holds_control_characters_is_refused(http, minter, now, full_name):
    r = await http.post("/children", json={"full_name": full_name, "commune_code": COMMUNE}, headers=worker(minter))
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == ["body.full_name"]
    case = await http.post(
        "/cases", json=new_case(child={"full_name": full_name, "commune_code": COMMUNE}), headers=worker(minter)
    )
    assert case.status_code == 422 and [e["field"] for e in case.json()["errors"]] == ["body.child.full_name"]


async def test_a_name_is_stored_composed_and_trimmed(http, minter, now):
    """A name typed with combining marks (NFD, as some phones send it) is stored as NFC, as the registry stores it:
    the same name, the same bytes."""
    decomposed = "  Nguye\u0302\u0303n Thi\u0323 Lan "
    r = await http.post("/children", json={"full_name": decomposed, "commune_code": COMMUNE}, headers=worker(minter))
    assert r.status_code == 201, r.text
    assert r.json()["full_name"] == "Nguyễn Thị Lan"
    patched = await http.patch(
        f"/children/{r.json()['id']}",
        json={"full_name": " Tra\u0302\u0300n An "},
        headers={**worker(minter), "If-Match": '"1"'},
    )
    assert patched.json()["full_name"] == "Trần An"


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"report": "   \n "}, "body.report"),
        ({"report": "beaten\x1b[31m at night"}, "body.report"),
        ({"reporter": "neighbour \u202e876 543 2190"}, "body.reporter"),
        ({"perpetrator": "the stepfather\x00"}, "body.perpetrator"),
    ],
)
async def test_a_report_that_is_blank_or_holds_control_characters_is_refused(http, minter, now, over, field):
    r = await http.post("/cases", json=new_case(**over), headers=worker(minter))
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == [field]


async def test_narratives_keep_their_lines_and_a_sponsor_is_one_line(http, minter, now):
    case = (
        await http.post("/cases", json=new_case(report="Line one.\r\nLine two:\tbruises."), headers=worker(minter))
    ).json()
    assert case["report"] == "Line one.\r\nLine two:\tbruises."
    for action, body in (("initial_assessment", {"risk_level": "high"}), ("detailed_assessment", {})):
        case = (
            await http.post(
                f"/cases/{case['id']}/steps",
                json={"action": action, **body},
                headers={**worker(minter), "If-Match": f'"{case["version"]}"'},
            )
        ).json()
    plan = {
        "content": "counselling weekly",
        "services": ["counselling"],
        "support": [{"kind": "gift", "funding": "charity", "sponsor": '=HYPERLINK("x")\x0bQuỹ', "amount": 500000}],
    }
    r = await http.post(
        f"/cases/{case['id']}/steps",
        json={"action": "draft_plan", "plan": plan},
        headers={**worker(minter), "If-Match": f'"{case["version"]}"'},
    )
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == ["body.plan.support.0.sponsor"]


async def test_a_retried_upload_stores_the_file_once(http, minter, now):
    """A field device on a poor connection sends the photo again after a dropped answer, with the same
    Idempotency-Key: one attachment, the first answer replayed; the key sent with another file is refused."""
    case = (await http.post("/cases", json=new_case(), headers=worker(minter))).json()
    url = f"/cases/{case['id']}/attachments"
    headers = {**worker(minter), "Content-Type": "image/png", "Idempotency-Key": "device-7-photo-1"}
    first = await http.post(url, content=PNG, headers=headers)
    assert first.status_code == 201, first.text
    assert first.headers["location"] == f"/child-protection/attachments/{first.json()['id']}"
    again = await http.post(url, content=PNG, headers=headers)
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json() and again.headers["location"] == first.headers["location"]
    listed = (await http.get(url, headers=supervisor(minter))).json()
    assert [a["id"] for a in listed] == [first.json()["id"]]
    other = await http.post(url, content=PNG + b"another photo", headers=headers)
    assert other.status_code == 422 and other.json()["errors"][0]["field"] == "header.idempotency-key"
    assert len((await http.get(url, headers=supervisor(minter))).json()) == 1


async def test_a_supervisor_limited_to_areas_reads_the_audit_of_those_areas_only(http, minter, now):
    """The trail says who read which child, with the purpose they gave: a district's supervisor must not learn
    from it which children and cases other districts hold, nor what their officers looked at."""
    case = (await http.post("/cases", json=new_case(), headers=worker(minter))).json()
    assert (
        await http.get(f"/children/{case['child_id']}", headers=worker(minter, purpose="home visit"))
    ).status_code == 200
    assert (await http.get("/cases", params={"child_id": case["child_id"]}, headers=worker(minter))).status_code == 200
    province = supervisor(minter)
    near = supervisor(minter, client_id="supervisor-842", areas=("842",))
    far = supervisor(minter, client_id="supervisor-844", areas=("844",))
    everything = (await http.get("/audit", params={"client_id": "officer-a"}, headers=province)).json()["items"]
    assert {"case", "child", "case_list"} <= {i["record_type"] for i in everything}
    own = (await http.get("/audit", params={"client_id": "officer-a"}, headers=near)).json()["items"]
    assert {(i["record_type"], i["record_id"]) for i in own} == {("case", case["id"]), ("child", case["child_id"])}
    for params in ({"client_id": "officer-a"}, {"record_id": case["id"]}, {"record_id": case["child_id"]}, {}):
        seen = (await http.get("/audit", params=params, headers=far)).json()["items"]
        assert [i for i in seen if i["client_id"] == "officer-a"] == [], params


@pytest.mark.parametrize("name", ["   ", "Tết\x00", "Tết\u202e", "Tết\nNguyên đán"])
async def test_a_holiday_name_that_is_blank_or_holds_control_characters_is_refused(http, minter, name):
    r = await http.put("/holidays/2026-12-31", json={"name": name}, headers=minter.headers("admin"))
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == ["body.name"]
    listed = (await http.get("/holidays", params={"year": 2026}, headers=minter.headers("admin"))).json()
    assert "2026-12-31" not in [h["day"] for h in listed]
