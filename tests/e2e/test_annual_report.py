"""The year-end report through the real processes: the gateway composes it from the services' report endpoints,
and every figure is recomputed here from the services' own tables.

An officer records a 90-year-old and a residential centre with a resident and donations; payments records the
person's longevity gift and an emergency relief approved by a second client; both one-off payrolls are approved and
the post office reports the gift paid and the relief unpaid. A child in another commune gets a TE card through the
BHXH exchange, and a child protection officer records an orphan. The report (JSON, HTML, XLSX, PDF, English, by
2025 commune) must show exactly what the ledger and the records hold: the monthly allowance in the year and
cumulative, the cards by group with their cost and the state's part, the children by group and the support paid.
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date
from typing import Any

import httpx
import openpyxl
import pytest
from sqlalchemy import text

from ansinh.database import in_gateway_db
from common import clock

from .test_payments import as_csv, eventually
from .test_registry import client, national_id

pytestmark = pytest.mark.e2e

COMMUNE = "29242"  # Phường Trà Vinh since 2025-07-01; the other e2e tests use other communes
CARD_COMMUNE = "29275"  # Xã An Trường (old district 844): no other e2e test issues cards there
CARD_PERIOD = "2027-01"  # test_insurance.py builds the 2026-12 list; a period has one list
YEAR = 2026


async def sql(stack, component: str, query: str, **params: Any) -> list[dict[str, Any]]:
    async def work(session):  # type: ignore[no-untyped-def]
        return [dict(r._mapping) for r in await session.execute(text(query), params)]

    return await in_gateway_db(stack.config.urls()[component], work)


async def run_payroll(gw, maker, checker, programme: str) -> dict:  # type: ignore[no-untyped-def]
    r = await gw.post("/payments/payrolls", headers=maker, json={"programme": programme, "period": f"{YEAR}-12"})
    assert r.status_code == 201, r.text
    payroll = r.json()
    assert (await gw.post(f"/payments/payrolls/{payroll['id']}/review", headers=maker)).status_code == 200
    r = await gw.post(f"/payments/payrolls/{payroll['id']}/approve", headers=checker)
    assert r.status_code == 200, r.text
    return r.json()


async def issue_a_child_card(stack, gw) -> str:  # type: ignore[no-untyped-def]
    """A child registered in CARD_COMMUNE gets a TE card the way BHXH issues it: insurance decides from the
    registry's events, a list is built, BHXH fills the card number in the file and uploads it."""
    officer = await client(
        stack, ["registry:read", "registry:write", "insurance:read", "insurance:write"], [CARD_COMMUNE]
    )
    bhxh = await client(stack, ["insurance:exchange"], [CARD_COMMUNE])
    r = await gw.post(
        "/registry/persons",
        headers=officer,
        json={
            "full_name": "Sơn Thị Út",
            "date_of_birth": "2025-03-15",
            "sex": "female",
            "national_id": national_id(2025, True),
            "commune_code": CARD_COMMUNE,
        },
    )
    assert r.status_code == 201, r.text
    child = r.json()["id"]

    async def decided() -> bool:
        r = await gw.get(f"/insurance/persons/{child}/cards", headers=officer)
        return r.status_code == 200 and bool(r.json()["entitlements"])

    await eventually(decided, "insurance deciding the child's TE", within=60)
    r = await gw.post("/insurance/lists", headers=officer, json={"period": CARD_PERIOD})
    assert r.status_code == 201, r.text
    list_id = r.json()["id"]
    r = await gw.get(f"/insurance/lists/{list_id}/download", params={"format": "csv"}, headers=bhxh)
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    [row] = [x for x in rows[1:] if x[1] == child]
    filled = [rows[0], row[:16] + ["Đã cấp thẻ", "TE1860000007501", row[13], row[14], ""]]
    r = await gw.post(
        f"/insurance/lists/{list_id}/results/file",
        content=as_csv(filled),
        headers={**bhxh, "Content-Type": "text/csv", "Idempotency-Key": f"annual-{child}"},
    )
    assert r.status_code == 200, r.text
    assert (r.json()["applied"], r.json()["exceptions"]) == (1, [])
    return child


async def report_result(gw, postal, payroll: dict, result: dict) -> None:  # type: ignore[no-untyped-def]
    r = await gw.get("/payments/batches", params={"payroll": payroll["id"]}, headers=postal)
    [batch] = r.json()["items"]
    r = await gw.get(f"/payments/batches/{batch['id']}/download", params={"format": "json"}, headers=postal)
    [line] = r.json()["lines"]
    r = await gw.post(
        f"/payments/batches/{batch['id']}/results",
        headers=postal,
        json={"results": [{"line_id": line["line_id"], **result}]},
    )
    assert r.status_code == 200, r.text


def section(report: dict, key: str) -> dict:
    return next(s for s in report["sections"] if s["key"] == key)


async def test_the_annual_report_equals_the_services_records(stack):
    officer = await client(stack, ["registry:read", "registry:write"], [COMMUNE])
    maker = await client(stack, ["payments:read", "payments:write"], [])
    checker = await client(stack, ["payments:read", "payments:approve"], [])
    postal = await client(stack, ["payments:disburse"], [COMMUNE])
    reporter = await client(stack, ["reports:read"], [])
    async with httpx.AsyncClient(base_url=stack.url("gateway"), timeout=60) as gw:
        r = await gw.post(
            "/registry/persons",
            headers=officer,
            json={
                "full_name": "Thạch Thị Chín",
                "date_of_birth": "1936-02-10",
                "sex": "female",
                "national_id": national_id(1936, True),
                "commune_code": COMMUNE,
            },
        )
        assert r.status_code == 201, r.text
        person = r.json()
        r = await gw.get("/registry/reports/longevity", params={"year": YEAR}, headers=officer)
        listed = next(i for i in r.json()["items"] if i["person_id"] == person["id"])
        assert listed["age"] == 90

        worker = {**await client(stack, ["child_protection:case"], [COMMUNE]), "X-Purpose": "case work"}
        r = await gw.post(
            "/child-protection/children",
            headers=worker,
            json={
                "full_name": "Thạch Văn Tư",
                "commune_code": COMMUNE,
                "date_of_birth": "2016-04-10",
                "groups": [{"group": "orphan", "valid_from": "2026-01-10", "evidence": "Giấy chứng tử 3/2026"}],
            },
        )
        assert r.status_code == 201, r.text

        r = await gw.post(
            "/registry/facilities",
            headers=officer,
            json={"name": "Trung tâm Công tác xã hội tỉnh", "commune_code": COMMUNE, "capacity": 150},
        )
        assert r.status_code == 201, r.text
        centre = r.json()["id"]
        r = await gw.post(
            f"/registry/facilities/{centre}/residents",
            headers=officer,
            json={"person_id": person["id"], "admitted_on": "2026-01-05", "category": "elderly"},
        )
        assert r.status_code == 201, r.text
        for form, value in (("cash", 905_045_613), ("in_kind", 12_500_000)):
            r = await gw.post(
                f"/registry/facilities/{centre}/donations",
                headers=officer,
                json={
                    "donor": "Hội Chữ thập đỏ",
                    "received_on": "2026-02-01",
                    "form": form,
                    "value": value,
                    "description": "Ủng hộ Tết",
                },
            )
            assert r.status_code == 201, r.text

        r = await gw.post(
            "/payments/longevity-gifts",
            headers=maker,
            json={
                "person_id": person["id"],
                "recipient_name": listed["full_name"],
                "national_id": listed["national_id"],
                "date_of_birth": listed["date_of_birth"],
                "commune_code": COMMUNE,
                "year": YEAR,
                "gift_date": "2026-12-01",
                "delivery": "post_office",
                "decision": "QĐ 300/QĐ-UBND",
            },
        )
        assert r.status_code == 201, r.text
        r = await gw.post(
            "/payments/emergency-reliefs",
            headers=maker,
            json={
                "kind": "house_damaged",
                "recipient_name": "Kim Văn Sơn",
                "commune_code": COMMUNE,
                "disaster": "Lốc xoáy 01/11/2026",
                "occurred_on": "2026-11-01",
                "amount": 20_000_000,
                "decision": "QĐ 301/QĐ-UBND",
            },
        )
        assert r.status_code == 201, r.text
        r = await gw.post(f"/payments/emergency-reliefs/{r.json()['id']}/approve", headers=checker)
        assert r.status_code == 200, r.text

        card_holder = await issue_a_child_card(stack, gw)

        gifts = await run_payroll(gw, maker, checker, "longevity")
        relief = await run_payroll(gw, maker, checker, "emergency")
        await report_result(
            gw,
            postal,
            gifts,
            {
                "outcome": "paid",
                "paid_on": clock.today().isoformat(),
                "paid_to": "beneficiary",
                "receipt_number": "BN-90",
                "amount": 500_000,
            },
        )
        await report_result(gw, postal, relief, {"outcome": "unpaid", "reason": "Vắng nhà"})

        assert (await gw.get("/reports/annual", params={"year": YEAR}, headers=maker)).status_code == 403
        r = await gw.get("/reports/annual", params={"year": YEAR}, headers=reporter)
        assert r.status_code == 200, r.text
        report = r.json()

        # Ledger sections: each figure is the ledger's sum for the programme's payrolls of the year.
        rows = await sql(
            stack,
            "payments",
            "SELECT programme, kind, sum(amount)::bigint AS amount "
            "FROM payments.ledger_entries WHERE period_first BETWEEN :a AND :b GROUP BY 1, 2",
            a=date(YEAR, 1, 1),
            b=date(YEAR, 12, 31),
        )
        ledger: dict[str, dict[str, int]] = {}
        for row in rows:
            ledger.setdefault(row["programme"], {})[row["kind"]] = row["amount"]
        issued_kinds = ("regular", "arrears", "recovery", "to_recover", "to_recover_offset")
        for key in ("electricity", "artisans"):
            figures = section(report, key)["figures"]
            raw = ledger.get(key, {})
            assert figures["paid"] == raw.get("paid", 0) and figures["carried"] == raw.get("carried", 0)
            assert figures["issued"] == sum(raw.get(k, 0) for k in issued_kinds)
        allowance = section(report, "monthly_allowance")["figures"]
        raw = ledger.get("monthly_allowance", {})
        assert allowance["ledger"]["issued"] == sum(raw.get(k, 0) for k in issued_kinds)
        assert (allowance["ledger"]["paid"], allowance["ledger"]["recovery"]) == (
            raw.get("paid", 0),
            raw.get("recovery", 0),
        )
        postal_total = section(report, "postal")["figures"]
        for kind in ("paid", "carried", "returned"):
            assert postal_total[kind] == sum(v.get(kind, 0) for v in ledger.values())
        assert ledger["longevity"]["paid"] == 500_000 and ledger["emergency"]["carried"] == 20_000_000

        # Person counts: the registry's own figures for December.
        r = await gw.get(
            "/registry/reports/beneficiaries",
            params={"month": f"{YEAR}-12", "by": "district"},
            headers=await client(stack, ["registry:read"], []),
        )
        assert allowance["beneficiaries"] == r.json()["total"]["beneficiaries"]
        assert allowance["amount_month"] == r.json()["total"]["amount"]

        # Longevity gifts and emergency relief: recomputed from payments' records and the post office's results.
        [gift_row] = await sql(
            stack,
            "payments",
            """
            SELECT count(*) AS gifts, sum(g.cash)::bigint AS cash,
                   coalesce(sum((SELECT sum(r.amount) FROM payments.line_results r
                                 WHERE r.recipient_id = g.one_off_payment_id AND r.outcome = 'paid')), 0)::bigint
                       AS paid
            FROM payments.longevity_gifts g WHERE g.year = :y AND g.age = 90""",
            y=YEAR,
        )
        ninety = next(a for a in section(report, "longevity")["figures"]["ages"] if a["age"] == 90)
        assert (ninety["gifts"], ninety["cash_recorded"], ninety["cash_paid"]) == (
            gift_row["gifts"],
            gift_row["cash"],
            gift_row["paid"],
        )
        [relief_row] = await sql(
            stack,
            "payments",
            """
            SELECT count(*) AS approved, sum(amount)::bigint AS amount FROM payments.emergency_reliefs
            WHERE kind = 'house_damaged' AND status = 'approved' AND extract(year FROM decided_on) = :y""",
            y=YEAR,
        )
        damaged = next(k for k in section(report, "emergency")["figures"]["kinds"] if k["kind"] == "house_damaged")
        assert (damaged["approved"], damaged["amount_approved"], damaged["cash_paid"]) == (
            relief_row["approved"],
            relief_row["amount"],
            0,
        )

        # The centre: donations and residents from the registry's records.
        [donated] = await sql(
            stack,
            "registry",
            """
            SELECT coalesce(sum(value) FILTER (WHERE form = 'cash'), 0)::bigint AS cash,
                   coalesce(sum(value) FILTER (WHERE form = 'in_kind'), 0)::bigint AS in_kind
            FROM registry.donations WHERE facility_id = :f AND extract(year FROM received_on) = :y""",
            f=uuid.UUID(centre),
            y=YEAR,
        )
        mine = next(f for f in section(report, "residential")["figures"]["facilities"] if f["facility_id"] == centre)
        assert (mine["cash"], mine["in_kind"]) == (donated["cash"], donated["in_kind"]) == (905_045_613, 12_500_000)
        assert mine["residents_by_category"]["elderly"] == 1
        assert all(s["available"] for s in report["sections"]), [s["key"] for s in report["sections"]]

        # Monthly allowance, cumulative: every ledger entry of the programme's payroll periods up to December.
        rows = await sql(
            stack,
            "payments",
            "SELECT kind, sum(amount)::bigint AS amount FROM payments.ledger_entries "
            "WHERE programme = 'monthly_allowance' AND period_first < :end GROUP BY 1",
            end=date(YEAR + 1, 1, 1),
        )
        since_start = {r["kind"]: r["amount"] for r in rows}
        cumulative = allowance["cumulative"]
        assert cumulative["issued"] == sum(since_start.get(k, 0) for k in issued_kinds)
        assert (cumulative["paid"], cumulative["carried"], cumulative["recovery"]) == (
            since_start.get("paid", 0),
            since_start.get("carried", 0),
            since_start.get("recovery", 0),
        )
        assert cumulative["paid"] >= allowance["ledger"]["paid"]

        # Health insurance: card counts and card-months from insurance's cards; the money as insurance's
        # contributions computation gives it for the same months.
        as_of = min(date(YEAR, 12, 31), clock.today())
        cards = section(report, "health_insurance")["figures"]
        assert cards["as_of"] == as_of.isoformat()
        raw_cards = await sql(
            stack,
            "insurance",
            """
            SELECT c.group_code,
                   count(*) FILTER (WHERE c.valid_to IS NULL OR c.valid_to >= :as_of) AS in_force,
                   count(*) AS valid,
                   coalesce(sum((SELECT count(*) FROM generate_series(
                       date_trunc('month', greatest(c.valid_from, :first)),
                       date_trunc('month', least(coalesce(c.valid_to, :as_of), :as_of)), interval '1 month'))), 0)
                       AS months
            FROM insurance.cards c
            WHERE c.valid_from <= :as_of AND (c.valid_to IS NULL OR c.valid_to >= greatest(c.valid_from, :first))
            GROUP BY 1""",
            as_of=as_of,
            first=date(YEAR, 1, 1),
        )
        assert {g["group"]: (g["cards_in_force"], g["cards_valid"], g["card_months"]) for g in cards["groups"]} == {
            r["group_code"]: (r["in_force"], r["valid"], r["months"]) for r in raw_cards
        }
        r = await gw.get(
            "/insurance/contributions",
            params={"first": f"{YEAR}-01", "last": f"{as_of:%Y-%m}", "by": "group"},
            headers=await client(stack, ["insurance:read"], []),
        )
        assert {g["group"]: (g["cost"], g["state"], g["household"]) for g in cards["groups"]} == {
            t["group"]: (t["total"], t["state"], t["household"]) for t in r.json()["totals"]
        }
        assert (
            cards["total"]["cost"]
            == sum(g["cost"] for g in cards["groups"])
            == cards["total"]["state"] + cards["total"]["household"]
        )
        [mine] = await sql(
            stack,
            "insurance",
            "SELECT valid_from, district_code, province_code FROM insurance.cards WHERE person_id = :p",
            p=uuid.UUID(card_holder),
        )
        assert (mine["valid_from"] <= as_of, mine["district_code"], mine["province_code"]) == (True, "", "86")
        te = next(g for g in cards["groups"] if g["group"] == "TE")
        assert te["cards_in_force"] >= 1 and te["cost"] > 0
        # The card made in the 2025 commune counts under old district 844 (Càng Long), or under 29275 by 2025 unit.
        assert next(u for u in cards["rows"] if u["code"] == "844")["cards_in_force"] >= 1
        r = await gw.get("/reports/annual", params={"year": YEAR, "units": "2025"}, headers=reporter)
        by_2025 = section(r.json(), "health_insurance")["figures"]
        assert next(u for u in by_2025["rows"] if u["code"] == CARD_COMMUNE)["cards_in_force"] == 1
        assert by_2025["total"] == cards["total"]

        # Children in special circumstances and support given: from child protection's records.
        kids = section(report, "children")["figures"]
        [raw_kids] = await sql(
            stack,
            "child_protection",
            """
            SELECT count(DISTINCT g.child_id) AS children,
                   count(DISTINCT g.child_id) FILTER (WHERE g.group_code = 'orphan') AS orphans
            FROM child_protection.child_groups g
            WHERE g.valid_from <= :d AND (g.valid_to IS NULL OR g.valid_to >= :d)""",
            d=as_of,
        )
        assert (kids["children"], kids["by_group"].get("orphan", 0)) == (raw_kids["children"], raw_kids["orphans"])
        assert kids["by_group"]["orphan"] >= 1
        [raw_given] = await sql(
            stack,
            "child_protection",
            """
            SELECT count(*) FILTER (WHERE status = 'paid') AS paid,
                   coalesce(sum(amount) FILTER (WHERE status = 'paid'), 0)::bigint AS amount_paid
            FROM child_protection.support_items WHERE outcome_on BETWEEN :a AND :b""",
            a=date(YEAR, 1, 1),
            b=as_of,
        )
        given = kids["given"]["total"]
        assert (given["paid"], given["amount_paid"]) == (raw_given["paid"], raw_given["amount_paid"])

        # The same report as a printable page, in English, and as a workbook with one sheet per section.
        page = (await gw.get("/reports/annual", params={"year": YEAR, "format": "html"}, headers=reporter)).text
        assert "BÁO CÁO KẾT QUẢ THỰC HIỆN CÔNG TÁC BẢO TRỢ XÃ HỘI NĂM 2026" in page
        assert "Chúc thọ, mừng thọ người cao tuổi" in page and "905.045.613" in page
        english = (
            await gw.get("/reports/annual", params={"year": YEAR, "format": "html", "lang": "en"}, headers=reporter)
        ).text
        assert "Monthly social allowance" in english and "Health insurance cards" in english
        assert "Children in special circumstances" in english and "Cumulative since records began" in english
        assert "Chưa có số liệu" not in page and "Thẻ bảo hiểm y tế" in page and "Trẻ mồ côi" in page
        r = await gw.get("/reports/annual", params={"year": YEAR, "format": "xlsx", "units": "2025"}, headers=reporter)
        assert r.status_code == 200, r.text
        # The gateway's first PDF makes its fonts (seconds of CPU): on a shared machine, more than the default minute.
        pdf = await gw.get("/reports/annual", params={"year": YEAR, "format": "pdf"}, headers=reporter, timeout=300)
        assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")
        book = openpyxl.load_workbook(io.BytesIO(r.content))
        assert len(book.sheetnames) == len(report["sections"]) == 9
        cells = [c for row in book["7 residential"].iter_rows(values_only=True) for c in row]
        assert 905_045_613 in cells
