"""Postal disbursement: batches per pay point after approval, area limits, downloads, results (single, bulk,
idempotent), the ledger and the fee."""

import csv
import io
import json
import uuid
from datetime import timedelta

import openpyxl
from sqlalchemy import select

from common import clock
from services.payments.events import BATCH_READY, LINE_PAID, LINE_UNPAID
from services.payments.models import EVENT_TABLES

from .helpers import batches, feed, lines, maker, paid, partner, period, run, schedule, unpaid

ALLOWANCE = "monthly_allowance"


async def province(app, http, minter, month="2026-03"):
    """Three beneficiaries in commune 84101, one in 84103 (district 842), one in 84401 (district 844)."""
    people = {"84101": [uuid.uuid4() for _ in range(3)], "84103": [uuid.uuid4()], "84401": [uuid.uuid4()]}
    events = []
    for commune, ids in people.items():
        district = "844" if commune == "84401" else "842"
        for i, b in enumerate(ids):
            events.append(
                schedule(
                    b,
                    1,
                    [period("2024-07", None, 750_000 + 250_000 * i)],
                    commune=commune,
                    district=district,
                    name=f"Nguyễn Văn {chr(65 + i)}",
                )
            )
    await feed(app, *events)
    return await run(http, minter, ALLOWANCE, month), people


async def outbox(app, type_):
    async with app.state.sessionmaker() as s:
        t = EVENT_TABLES.outbox
        rows = (await s.execute(select(t.c.subject, t.c.envelope).where(t.c.type == type_))).all()
    return [r.envelope["data"] for r in rows]


async def test_an_approved_payroll_is_split_into_one_batch_per_commune_with_matching_control_totals(app, http, minter):
    payroll, people = await province(app, http, minter)
    got = await batches(http, minter, payroll)
    assert sorted(got) == ["84101", "84103", "84401"]
    all_lines = await lines(http, minter, payroll)
    for commune, batch in got.items():
        mine = [x for x in all_lines if x["commune_code"] == commune]
        assert (batch["line_count"], batch["amount"]) == (len(mine), sum(x["total"] for x in mine))
        assert (batch["status"], batch["deadline"], batch["period"]) == ("ready", "2026-03-20", "2026-03")
    assert sum(b["amount"] for b in got.values()) == payroll["totals"]["amount"]
    assert sum(b["line_count"] for b in got.values()) == payroll["totals"]["line_count"]
    assert got["84401"]["district_code"] == "844"
    ready = await outbox(app, BATCH_READY)
    assert sorted(e["commune_code"] for e in ready) == ["84101", "84103", "84401"]
    event = next(e for e in ready if e["commune_code"] == "84101")
    assert (event["line_count"], event["amount"], event["deadline"]) == (3, got["84101"]["amount"], "2026-03-20")
    assert event["download"] == f"/payments/batches/{got['84101']['id']}/download"
    # Officers without the partner's scope do not see the partner's API.
    assert (await http.get("/batches", headers=maker(minter))).status_code == 403


async def test_the_partner_sees_only_the_batches_of_its_areas(app, http, minter):
    payroll, _ = await province(app, http, minter)
    everything = await batches(http, minter, payroll)
    mine = await batches(http, minter, payroll, areas=("842",))
    assert sorted(mine) == ["84101", "84103"]
    commune_only = partner(minter, areas=("84103",))
    other = everything["84401"]["id"]
    for url in (f"/batches/{other}", f"/batches/{other}/download?format=csv"):
        r = await http.get(url, headers=commune_only)
        assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    line = next(x for x in await lines(http, minter, payroll) if x["commune_code"] == "84401")
    r = await http.post(f"/lines/{line['id']}/result", json=paid(line) | {"line_id": None}, headers=commune_only)
    assert r.status_code == 422  # line_id is not part of a single result
    body = {k: v for k, v in paid(line).items() if k != "line_id"}
    assert (await http.post(f"/lines/{line['id']}/result", json=body, headers=commune_only)).status_code == 404
    r = await http.post(f"/batches/{other}/results", json={"results": [paid(line)]}, headers=commune_only)
    assert r.status_code == 404
    pages, cursor = [], None
    while True:  # cursor pages
        r = await http.get(
            "/batches",
            params={"limit": 1, **({"cursor": cursor} if cursor else {})},
            headers=partner(minter, areas=("842",)),
        )
        pages += [b["commune_code"] for b in r.json()["items"]]
        if not (cursor := r.json()["next_cursor"]):
            break
    assert pages == ["84101", "84103"]


async def test_downloads_in_json_csv_and_xlsx_with_vietnamese_headers(app, http, minter):
    payroll, people = await province(app, http, minter)
    batch = (await batches(http, minter, payroll))["84101"]
    expected = sorted(
        (x for x in await lines(http, minter, payroll) if x["commune_code"] == "84101"), key=lambda x: x["id"]
    )
    url = f"/batches/{batch['id']}/download"
    r = await http.get(url, params={"format": "csv"}, headers=partner(minter))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "bang-chi-tra-monthly_allowance-2026-03-84101.csv" in r.headers["content-disposition"]
    assert r.content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    header = list(rows[0])
    assert header[:12] == [
        "STT",
        "Mã dòng",
        "Họ và tên",
        "Số CCCD",
        "Ngày sinh",
        "Mã xã",
        "Số tiền",
        "Thường xuyên",
        "Truy lĩnh",
        "Thu hồi",
        "Kỳ trước chuyển sang",
        "Ghi chú",
    ]
    assert header[12:] == ["Kết quả", "Ngày chi trả", "Người nhận", "Số biên nhận", "Số tiền đã chi", "Lý do"]
    assert [
        (row["STT"], row["Mã dòng"], row["Họ và tên"], int(row["Số tiền"]), row["Ngày sinh"], row["Kết quả"])
        for row in rows
    ] == [(str(i + 1), x["id"], x["recipient_name"], x["total"], "02/03/1950", "") for i, x in enumerate(expected)]
    assert sum(int(row["Số tiền"]) for row in rows) == batch["amount"]

    r = await http.get(url, params={"format": "xlsx"}, headers=partner(minter))
    assert r.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = openpyxl.load_workbook(io.BytesIO(r.content)).worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == header
    assert [(v[1], v[6]) for v in values[1:]] == [(x["id"], x["total"]) for x in expected]

    r = await http.get(url, params={"format": "json"}, headers=partner(minter))
    document = json.loads(r.content)
    assert document["batch"]["id"] == batch["id"]
    assert [(x["line_id"], x["total"], x["result"]) for x in document["lines"]] == [
        (x["id"], x["total"], None) for x in expected
    ]


async def test_single_and_bulk_results_are_idempotent_and_counted_on_the_batch(app, http, minter):
    payroll, _ = await province(app, http, minter)
    batch = (await batches(http, minter, payroll))["84101"]
    a, b, c = [x for x in await lines(http, minter, payroll) if x["commune_code"] == "84101"]
    single = {k: v for k, v in paid(a, paid_to="proxy", proxy_name="Nguyễn Văn Con").items() if k != "line_id"}
    key = {"Idempotency-Key": "kq-0001"}
    first = await http.post(f"/lines/{a['id']}/result", json=single, headers=partner(minter) | key)
    assert first.status_code == 200, first.text
    assert (first.json()["recorded"], first.json()["batch"]["status"]) == (1, "reporting")
    again = await http.post(f"/lines/{a['id']}/result", json=single, headers=partner(minter) | key)
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    other = await http.post(f"/lines/{a['id']}/result", json=single | {"amount": 1}, headers=partner(minter) | key)
    assert other.status_code == 422 and "idempotency-key" in other.text

    bulk = {"results": [paid(b), unpaid(c)]}
    key = {"Idempotency-Key": "kq-0002"}
    r = await http.post(f"/batches/{batch['id']}/results", json=bulk, headers=partner(minter) | key)
    assert r.status_code == 200, r.text
    out = r.json()
    assert (out["recorded"], out["exceptions"], out["items"]) == (2, 0, [])
    assert out["batch"]["status"] == "complete"
    assert (out["batch"]["paid_count"], out["batch"]["paid_amount"]) == (2, a["total"] + b["total"])
    assert (out["batch"]["unpaid_count"], out["batch"]["unpaid_amount"]) == (1, c["total"])
    replay = await http.post(f"/batches/{batch['id']}/results", json=bulk, headers=partner(minter) | key)
    assert replay.json() == out
    r = await http.post(f"/batches/{batch['id']}/results", json={"results": [paid(b)]}, headers=partner(minter) | key)
    assert r.status_code == 422
    # Without a key, the same report again is recognised as such: nothing changes, nothing is raised.
    r = await http.post(f"/batches/{batch['id']}/results", json=bulk, headers=partner(minter))
    assert (r.json()["recorded"], r.json()["unchanged"], r.json()["exceptions"]) == (0, 2, 0)
    assert len(await outbox(app, LINE_PAID)) == 2 and len(await outbox(app, LINE_UNPAID)) == 1
    event = next(e for e in await outbox(app, LINE_PAID) if e["line_id"] == a["id"])
    assert (event["paid_to"], event["proxy_name"], event["amount"]) == ("proxy", "Nguyễn Văn Con", a["total"])
    unpaid_event = (await outbox(app, LINE_UNPAID))[0]
    assert (unpaid_event["outcome"], unpaid_event["reason"]) == ("unpaid", "Vắng nhà, không liên lạc được")

    # What each outcome needs.
    r = await http.post(
        f"/batches/{batch['id']}/results",
        json={
            "results": [
                {"line_id": a["id"], "outcome": "paid", "amount": -5},
                {"line_id": b["id"], "outcome": "unpaid"},
            ]
        },
        headers=partner(minter),
    )
    assert r.status_code == 422
    r = await http.post(
        f"/batches/{batch['id']}/results", json={"results": [paid(a), paid(a)]}, headers=partner(minter)
    )
    assert r.status_code == 422 and "listed twice" in r.text


async def test_ledger_paid_equals_the_sum_of_paid_lines_and_the_fee_is_computed_per_batch(app, http, minter):
    r = await http.post(
        f"/programmes/{ALLOWANCE}/parameters",
        headers=minter.headers("admin"),
        json={
            "name": "postal_fee_percent",
            "valid_from": "2026-01",
            "value": "0.55",
            "legal_basis": "Hợp đồng chi trả số 01/2026/HĐ-BĐ",
        },
    )
    assert r.status_code == 201, r.text
    payroll, _ = await province(app, http, minter)
    got = await batches(http, minter, payroll)
    everything = await lines(http, minter, payroll)
    reported_paid = 0
    for commune, batch in got.items():
        mine = [x for x in everything if x["commune_code"] == commune]
        results = [paid(x, amount=x["total"] - (1_001 if i == 1 else 0)) for i, x in enumerate(mine)]
        if commune == "84101":
            results[-1] = unpaid(mine[-1])
        reported_paid += sum(x["amount"] for x in results if x["outcome"] == "paid")
        r = await http.post(f"/batches/{batch['id']}/results", json={"results": results}, headers=partner(minter))
        assert r.status_code == 200, r.text
        batch = r.json()["batch"]
        assert batch["fee_percent"] == "0.55"
        # Half up on the batch's paid total, in whole VND.
        assert batch["fee"] == int(batch["paid_amount"] * 55 / 10_000 + 0.5)
    report = (await http.get("/ledger/totals", params={"year": 2026}, headers=maker(minter))).json()["total"]
    assert report["paid"] == reported_paid
    assert report["carried"] == next(
        x["total"]
        for x in everything
        if x["commune_code"] == "84101" and x["id"] == max(y["id"] for y in everything if y["commune_code"] == "84101")
    )
    assert report["issued"] == payroll["totals"]["amount"]


async def test_a_post_office_given_pre_2025_areas_sees_the_batches_of_the_2025_communes(app, http, minter):
    """Beneficiaries registered since the 2025 reorganisation are in province 86, with no district: a post office
    given Trà Vinh's old code (84), one of its old districts, or today's commune sees their batch; one given a
    neighbouring commune does not, nor one of Bến Tre."""
    old_style, new_style = uuid.uuid4(), uuid.uuid4()
    await feed(
        app,
        schedule(old_style, 1, [period("2024-07", None, 750_000)], commune="29239", district="842", province="84"),
        schedule(new_style, 1, [period("2025-08", None, 750_000)], commune="29242", district="", province="86"),
    )
    payroll = await run(http, minter, ALLOWANCE, "2026-03")
    for areas in (("84",), ("842",), ("29242",), ("86",)):
        assert sorted(await batches(http, minter, payroll, areas=areas)) == ["29239", "29242"], areas
    assert sorted(await batches(http, minter, payroll, areas=("29239",))) == ["29239"]  # old Phường 1 alone
    assert await batches(http, minter, payroll, areas=("29263",)) == {}
    assert await batches(http, minter, payroll, areas=("83",)) == {}  # Bến Tre's old province code
    batch = (await batches(http, minter, payroll, areas=("84",)))["29242"]
    r = await http.get(
        f"/batches/{batch['id']}/download", params={"format": "json"}, headers=partner(minter, areas=("842",))
    )
    assert r.status_code == 200, r.text
    assert [x["total"] for x in json.loads(r.content)["lines"]] == [batch["amount"]] == [750_000]


async def test_paid_on_is_neither_in_the_future_nor_before_the_batch_was_issued(app, http, minter):
    payroll, _ = await province(app, http, minter)
    batch = (await batches(http, minter, payroll))["84101"]
    a, b, c = [x for x in await lines(http, minter, payroll) if x["commune_code"] == "84101"]
    today = clock.today()
    url = f"/batches/{batch['id']}/results"
    # The incident: a payment dated 2099 was recorded as paid. Now the whole report is refused, nothing recorded.
    r = await http.post(url, json={"results": [paid(a), paid(b, paid_on="2099-01-01")]}, headers=partner(minter))
    assert r.status_code == 422, r.text
    [error] = r.json()["errors"]
    assert (error["field"], "in the future" in error["reason"]) == ("body.results.1.paid_on", True)
    tomorrow = (today + timedelta(days=1)).isoformat()
    r = await http.post(
        f"/lines/{c['id']}/result",
        json={k: v for k, v in paid(c, paid_on=tomorrow).items() if k != "line_id"},
        headers=partner(minter),
    )
    assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "body.paid_on")
    # Before the batch was issued (today, when the payroll was approved): the post office had no list yet.
    r = await http.post(
        url, json={"results": [paid(a, paid_on=(today - timedelta(days=1)).isoformat())]}, headers=partner(minter)
    )
    assert r.status_code == 422 and "before the batch was issued" in r.json()["errors"][0]["reason"]
    got = (await http.get(f"/batches/{batch['id']}", headers=partner(minter))).json()
    assert (got["paid_count"], got["status"]) == (0, "ready")
    # "Today" is Viet Nam's: once it is tomorrow there, tomorrow's date is accepted.
    with clock.frozen(today + timedelta(days=1)):
        r = await http.post(url, json={"results": [paid(a), paid(b, paid_on=tomorrow)]}, headers=partner(minter))
    assert (r.status_code, r.json()["recorded"]) == (200, 2), r.text
