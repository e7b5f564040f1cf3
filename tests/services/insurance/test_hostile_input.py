"""Hostile and careless input to insurance, through the HTTP API: periods and days at the edge of the calendar are a
422 naming the field (never a 500, never a list of year 9999 nor a card valid from year 1, never a record that
stops the decision worker), an office limited to its areas learns nothing of the others' persons from the
exceptions nor the lists' counts, and a list file opens in a spreadsheet whatever the registry's text holds."""

import io
import uuid
from datetime import date

import openpyxl
import pytest

from .helpers import cards, feed, registered
from .test_exchange import bhxh, build, officer, person, setup


@pytest.mark.parametrize("period", ["0000-07", "0001-01", "9999-12", "2026-13", "2026-7", " 2026-07"])
async def test_a_period_outside_the_calendar_is_a_422_and_builds_nothing(http, minter, period):
    r = await http.post("/lists", headers=officer(minter), json={"period": period})
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == ["body.period"]
    assert (await http.get("/lists", headers=minter.headers("insurance:exchange"))).json() == []


@pytest.mark.parametrize(
    ("field", "value"), [("valid_to", "9999-12-31"), ("valid_from", "0001-01-01"), ("valid_from", "1899-12-31")]
)
async def test_a_recorded_span_at_the_edge_of_the_calendar_is_refused_and_decisions_go_on(
    app, http, minter, field, value
):
    """A pupil's status recorded to 9999-12-31 was stored, then every pass of the decision worker failed on it
    (the day after its last day overflows the calendar), holding up the persons queued with it."""
    pupil = uuid.uuid4()
    await feed(app, registered(pupil, date(2012, 3, 1), on=date(2012, 3, 20)))
    body = {"group": "HS", "valid_from": "2026-09-05", "valid_to": "2027-05-31", "document": "Trường THCS, số 12/XN"}
    r = await http.post(
        f"/persons/{pupil}/recorded-groups", headers=minter.headers("insurance:write"), json={**body, field: value}
    )
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == [f"body.{field}"]
    assert (
        await http.post(f"/persons/{pupil}/recorded-groups", headers=minter.headers("insurance:write"), json=body)
    ).status_code == 201
    await feed(app)  # the worker's step: decides the person, and would raise on a poisoned record
    assert ("HS", "2026-09-05", "2027-05-31") in [
        (e["group"], e["valid_from"], e["valid_to"]) for e in (await cards(http, minter, pupil))["entitlements"]
    ]


@pytest.mark.parametrize(("field", "value"), [("valid_from", "0001-01-01"), ("valid_to", "9999-12-31")])
async def test_a_card_valid_from_year_1_or_to_year_9999_is_refused(registry, exchange, minter, field, value):
    _, elder = await setup(registry, exchange, minter)
    lst = await build(exchange, minter, "2026-07")
    result = {"person_id": str(elder), "outcome": "issued", "card_code": "BT2860000000222", "valid_from": "2026-03-01"}
    r = await exchange.post(
        f"/lists/{lst['id']}/results", headers=bhxh(minter), json={"results": [{**result, field: value}]}
    )
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == [f"body.results.0.{field}"]
    assert (await cards(exchange, minter, elder))["cards"] == []


@pytest.mark.parametrize("on", ["9999-12-31", "0001-01-01"])
async def test_the_daily_job_on_a_day_outside_the_calendar_is_a_422(http, minter, on):
    r = await http.post("/jobs/daily", params={"on": on}, headers=minter.headers("admin"))
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == ["query.on"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "base_salary", "valid_from": "0001-01-01", "value": "2530000"}, "body.valid_from"),
        ({"name": "base_salary", "valid_from": "2026-07-01", "value": "1e400"}, "body.value"),
        ({"name": "base_salary", "valid_from": "2026-07-01", "value": "10000000000"}, "body.value"),
    ],
)
async def test_a_parameter_out_of_any_sensible_range_is_refused(http, minter, body, field):
    r = await http.post(
        "/parameters/proposals", headers=minter.headers("admin"), json={**body, "legal_basis": "Nghị định 1/2026"}
    )
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == [field]


async def test_an_office_sees_the_exceptions_and_counts_of_its_own_areas_only(registry, exchange, minter):
    """The setup's persons live in district 991; an office limited to district 992 must not read the card codes BHXH
    sent for them, nor how many of them are on the list, nor resolve their exceptions."""
    child, elder = await setup(registry, exchange, minter)
    lst = await build(exchange, minter, "2026-07")
    r = await exchange.post(
        f"/lists/{lst['id']}/results",
        headers=bhxh(minter),
        json={
            "results": [
                {
                    "person_id": str(elder),
                    "outcome": "issued",
                    "card_code": "HN2860000000222",
                    "valid_from": "2026-03-01",
                }
            ]
        },
    )
    [exception] = r.json()["exceptions"]
    url = f"/lists/{lst['id']}/exceptions"
    assert [e["id"] for e in (await exchange.get(url, headers=bhxh(minter, areas=("991",)))).json()] == [
        exception["id"]
    ]
    assert (await exchange.get(url, headers=bhxh(minter, areas=("992",)))).json() == []
    [other] = (await exchange.get("/lists", headers=bhxh(minter, areas=("992",)))).json()
    assert (other["item_count"], other["counts"]) == (0, {"end": 0, "change": 0, "renew": 0, "enrol": 0})
    page = (await exchange.get(f"/lists/{lst['id']}/items", headers=bhxh(minter, areas=("992",)))).json()
    assert (page["items"], page["exchange_list"]["item_count"]) == ([], 0)
    [own] = (await exchange.get("/lists", headers=bhxh(minter, areas=("991",)))).json()
    assert (own["item_count"], own["counts"]["enrol"]) == (2, 2)
    far_officer = minter.headers("insurance:write", client_id="officer-992", areas=("992",))
    resolve = f"/exceptions/{exception['id']}/resolve"
    assert (await exchange.post(resolve, headers=far_officer, json={"resolution": "seen"})).status_code == 404
    assert (await exchange.post(resolve, headers=officer(minter), json={"resolution": "re-sent"})).status_code == 200


async def test_a_list_file_opens_whatever_control_characters_the_registry_holds(
    registry, registry_app, exchange, minter
):
    """openpyxl refuses the control characters XML forbids: an address stored with one broke the XLSX download
    mid-stream. The registry now refuses such text on every write, but keeps what it stored before that rule (an
    address pasted from another program, with an escape character in it): the cell shows U+FFFD; formula escaping
    still applies to every text cell."""
    from sqlalchemy import update

    from services.registry.models import Person

    child = await person(registry, minter, "Lê Văn Tí", "2026-01-10", "male", "084226000333")
    async with registry_app.state.sessionmaker() as s, s.begin():  # stored before the rule: no API path writes it now
        await s.execute(
            update(Person).where(Person.id == uuid.UUID(str(child))).values(address_line="Khóm 2, ấp 3\x1b[0m")
        )
    await feed(
        exchange.app,
        registered(
            child, date(2026, 1, 10), on=date(2026, 2, 1), province_code="99", district_code="991", commune_code="99101"
        ),
    )
    lst = await build(exchange, minter, "2026-07")
    await exchange.post(
        f"/lists/{lst['id']}/results",
        headers=bhxh(minter),
        json={"results": [{"person_id": str(child), "outcome": "rejected", "reason": "@SUM(1+1) sai ngày sinh"}]},
    )
    r = await exchange.get(f"/lists/{lst['id']}/download?format=xlsx", headers=bhxh(minter))
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(r.content), read_only=True).worksheets[0]
    header, row = list(sheet.iter_rows(values_only=True))
    cells = dict(zip(header, row, strict=True))
    assert cells["Mã người"] == str(child)
    assert cells["Lý do"] == "'@SUM(1+1) sai ngày sinh"
    assert cells["Địa chỉ"] == "Khóm 2, ấp 3\ufffd[0m"


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"document": "   "}, "body.document"),
        ({"document": "Trường THCS\u202e21/XN"}, "body.document"),
        ({"document": "xác nhận\x1b[2J số 12"}, "body.document"),
    ],
)
async def test_a_recorded_document_that_is_blank_or_holds_control_characters_is_refused(app, http, minter, over, field):
    pupil = uuid.uuid4()
    await feed(app, registered(pupil, date(2012, 3, 1), on=date(2012, 3, 20)))
    body = {"group": "HS", "valid_from": "2026-09-05", "valid_to": "2027-05-31", "document": "Trường THCS, số 12/XN"}
    r = await http.post(
        f"/persons/{pupil}/recorded-groups", headers=minter.headers("insurance:write"), json={**body, **over}
    )
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == [field]
    assert (await http.get(f"/persons/{pupil}/recorded-groups", headers=minter.headers("insurance:read"))).json()[
        "items"
    ] == []


@pytest.mark.parametrize(
    ("result", "field"),
    [
        ({"outcome": "rejected", "reason": "Sai ngày sinh\x07"}, "body.results.0.reason"),
        ({"outcome": "rejected", "reason": "\u202eSai ngày sinh"}, "body.results.0.reason"),
        (
            {"outcome": "issued", "card_code": "BT286" + "0" * 10_000, "valid_from": "2026-03-01"},
            "body.results.0.card_code",
        ),
    ],
)
async def test_a_result_with_a_control_character_or_a_huge_code_is_refused(registry, exchange, minter, result, field):
    _, elder = await setup(registry, exchange, minter)
    lst = await build(exchange, minter, "2026-07")
    r = await exchange.post(
        f"/lists/{lst['id']}/results", headers=bhxh(minter), json={"results": [{"person_id": str(elder), **result}]}
    )
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == [field]
    assert (await exchange.get(f"/lists/{lst['id']}/exceptions", headers=bhxh(minter))).json() == []


async def test_an_empty_reason_or_code_is_no_reason_or_code(registry, exchange, minter):
    """What partners send for an outcome that needs neither (``""``) still reads as none."""
    _, elder = await setup(registry, exchange, minter)
    lst = await build(exchange, minter, "2026-07")
    result = {"outcome": "issued", "card_code": "BT2860000000222", "valid_from": "2026-03-01", "reason": ""}
    r = await exchange.post(
        f"/lists/{lst['id']}/results", headers=bhxh(minter), json={"results": [{"person_id": str(elder), **result}]}
    )
    assert (r.status_code, r.json()["applied"]) == (200, 1), r.text


async def test_a_retried_parameter_proposal_is_made_once(http, minter):
    """An administrator's retry after a dropped answer, with the same Idempotency-Key, must not leave a second
    proposal of the same value for the other administrator to approve."""
    headers = {**minter.headers("admin", client_id="admin-a"), "Idempotency-Key": "base-salary-2026-07"}
    body = {"name": "base_salary", "valid_from": "2026-07-01", "value": "2530000", "legal_basis": "Nghị định 1/2026"}
    first = await http.post("/parameters/proposals", headers=headers, json=body)
    assert first.status_code == 201, first.text
    again = await http.post("/parameters/proposals", headers=headers, json=body)
    assert (again.status_code, again.headers.get("idempotent-replayed")) == (201, "true")
    assert again.json()["id"] == first.json()["id"]
    other = await http.post("/parameters/proposals", headers=headers, json={**body, "value": "2540000"})
    assert other.status_code == 422 and other.json()["errors"][0]["field"] == "header.idempotency-key"
    proposals = (await http.get("/parameters", headers=minter.headers("insurance:read"))).json()["proposals"]
    assert [p["id"] for p in proposals] == [first.json()["id"]]


async def test_a_dimension_named_twice_is_a_422_not_a_file_with_repeated_columns(http, minter):
    r = await http.get(
        "/contributions",
        params=[("first", "2026-01"), ("last", "2026-12"), ("by", "group"), ("by", "group"), ("format", "csv")],
        headers=minter.headers("insurance:read"),
    )
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == ["query.by"]


async def test_a_results_file_answering_more_than_10000_persons_is_a_413(registry, exchange, minter):
    """A request takes at most 10,000 results; a file answering more ran past the gateway's 30 s, leaving BHXH
    unsure whether it was recorded. Rows left unanswered do not count."""
    from common import tabular
    from services.insurance.exchange import files

    _, elder = await setup(registry, exchange, minter)
    lst = await build(exchange, minter, "2026-07")

    def row(person, outcome):
        cells = [""] * len(files.HEADERS)
        cells[1], cells[16], cells[20] = str(person), outcome, "Sai ngày sinh" if outcome else ""
        return cells

    unanswered = [row(uuid.uuid4(), "") for _ in range(50)]
    answered = [row(elder, "Từ chối")] + [row(uuid.uuid4(), "Từ chối") for _ in range(10_000)]
    url, headers = f"/lists/{lst['id']}/results/file", {**bhxh(minter), "Content-Type": "text/csv"}
    r = await exchange.post(url, headers=headers, content=tabular.write_csv(files.HEADERS, unanswered + answered))
    assert r.status_code == 413 and r.json()["max_answers"] == 10_000, r.text[:300]
    assert (await exchange.get(f"/lists/{lst['id']}/exceptions", headers=bhxh(minter))).json() == []
    items = (await exchange.get(f"/lists/{lst['id']}/items", headers=bhxh(minter))).json()["items"]
    assert {i["result"] for i in items} == {"pending"}
    r = await exchange.post(url, headers=headers, content=tabular.write_csv(files.HEADERS, unanswered + answered[:-1]))
    assert r.status_code == 200 and r.json()["applied"] == 1, r.text[:300]
