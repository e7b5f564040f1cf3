"""Input no column or calendar takes answers 422 naming the field (never 500) on the payments routes: NUL
characters, lone surrogates, integers beyond 64 bits, months of year 0000, NUL cells in a results file."""

from __future__ import annotations

import pytest

from .helpers import maker, partner
from .test_artisans import ENROLMENTS, enrolment
from .test_one_off import BODY
from .test_result_files import as_csv, batch_file, fill, upload


def problem(r, field):
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    fields = [e["field"] for e in r.json()["errors"]]
    assert field in fields, fields
    return r.json()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"programme": "monthly_allowance\u0000", "period": "2026-03"}, "body.programme"),
        ({"programme": "monthly_allowance", "period": "2026\u0000-03"}, "body.period"),
        ({"programme": "monthly_allowance", "period": "0000-01"}, "body.period"),
        ({"programme": "electricity", "period": "0000-Q1"}, "body.period"),
    ],
)
async def test_a_payroll_for_a_nul_programme_or_a_year_0000_period_is_422(http, minter, body, field):
    problem(await http.post("/payrolls", json=body, headers=maker(minter)), field)


async def test_amounts_beyond_64_bits_are_422_naming_the_amount(http, minter):
    problem(await http.post("/one-off-payments", json=BODY | {"amount": 2**64}, headers=maker(minter)), "body.amount")
    problem(
        await http.post("/one-off-payments", json=BODY | {"amount": -(2**70)}, headers=maker(minter)), "body.amount"
    )


async def test_text_with_nul_or_a_lone_surrogate_in_a_one_off_payment_is_422(http, minter):
    problem(
        await http.post("/one-off-payments", json=BODY | {"reason": "Mai táng\u0000"}, headers=maker(minter)),
        "body.reason",
    )
    raw = (
        '{"programme": "funeral", "recipient_name": "Tr\\udc00n", "commune_code": "84101", "province_code": "84",'
        ' "amount": 1, "reason": "x", "requested_by": "y"}'
    )
    r = await http.post(
        "/one-off-payments", content=raw.encode(), headers=maker(minter) | {"Content-Type": "application/json"}
    )
    problem(r, "body.recipient_name")


@pytest.mark.parametrize("field", ["from_month", "to_month"])
async def test_a_month_of_year_0000_is_422(http, minter, field):
    problem(await http.post(ENROLMENTS, json=enrolment(**{field: "0000-01"}), headers=maker(minter)), f"body.{field}")
    r = await http.post(
        "/programmes/artisans/accounting-from",
        json={"accounting_from": "0000-12", "legal_basis": "Kế hoạch"},
        headers=minter.headers("admin"),
    )
    problem(r, "body.accounting_from")


async def test_query_parameters_with_nul_or_beyond_64_bits_are_422(http, minter):
    r = await http.get("/ledger/totals", params={"year": 2026, "programme": "funeral\u0000"}, headers=maker(minter))
    problem(r, "query.programme")
    problem(await http.get("/ledger/totals", params={"year": 2**64}, headers=maker(minter)), "query.year")
    problem(
        await http.get("/batches", params={"commune_code": "\u0000"}, headers=partner(minter)), "query.commune_code"
    )


async def test_a_nul_in_a_results_file_is_a_row_problem_and_nothing_is_applied(app, http, minter):
    _, batch, rows = await batch_file(app, http, minter)
    filled = fill(
        rows,
        ["Đã chi trả", "10/03/2026", "Người hưởng", "BN-\u0000001", "750000", ""],
        ["Đã chi trả", "10/03/2026", "Người hưởng", "BN-002", "750000", ""],
    )
    r = await upload(http, minter, batch, as_csv(filled))
    body = problem(r, "receipt_number")
    assert [(e["line"], e["column"]) for e in body["errors"]] == [(2, "Số biên nhận")]
    assert "NUL" in body["errors"][0]["reason"]
    r = await http.get(f"/batches/{batch['id']}", headers=partner(minter))
    assert r.json()["paid_count"] == 0
