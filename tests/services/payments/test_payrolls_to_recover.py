"""Open to_recover balances are netted against what later lines pay (a death reversed, a suspension overturned)."""

import uuid
from typing import Any

from sqlalchemy import text

from .helpers import account_from, approve, feed, generate, line_of, maker, period, run, schedule

ALLOWANCE = "monthly_allowance"


async def _ledger(app: Any, recipient: uuid.UUID) -> dict[str, int]:
    async with app.state.sessionmaker() as s:
        rows = await s.execute(
            text("""
            SELECT kind, sum(amount) FROM payments.ledger_entries
            WHERE recipient_id = :r AND kind IN ('to_recover', 'to_recover_offset') AND service_month IS NULL
            GROUP BY kind"""),
            {"r": recipient},
        )
        return {kind: int(amount) for kind, amount in rows.all()}


def _consistent(payroll: dict[str, Any]) -> None:
    t = payroll["totals"]
    assert (
        t["regular"] + t["arrears"] + t["recovery"] + t["carried"] + t["to_recover"] - t["to_recover_offset"]
        == t["amount"]
    )


async def _died_in_january(app: Any, http: Any, minter: Any, b: uuid.UUID, other: uuid.UUID) -> dict[str, Any]:
    """Jan–Mar paid 750,000 a month, then a death in January: April recovers Feb and March, all left to recover."""
    await account_from(http, minter, ALLOWANCE, "2026-01")
    await feed(
        app, schedule(b, 1, [period("2024-07", None, 750_000)]), schedule(other, 1, [period("2024-07", None, 750_000)])
    )
    for month in ("2026-01", "2026-02", "2026-03"):
        await run(http, minter, ALLOWANCE, month)
    await feed(app, schedule(b, 2, [period("2024-07", "2026-01", 750_000)], status="deceased", death_date="2026-01-20"))
    april = await approve(http, minter, await generate(http, minter, ALLOWANCE, "2026-04"))
    line = await line_of(http, minter, april, b)
    assert (line["recovery"], line["total"], line["to_recover"], line["to_recover_offset"]) == (
        -1_500_000,
        0,
        1_500_000,
        0,
    )
    return april


async def test_a_reversed_death_nets_the_months_given_back_against_the_open_to_recover(app, http, minter):
    b, other = uuid.uuid4(), uuid.uuid4()
    april = await _died_in_january(app, http, minter, b, other)
    # The death is reversed: Feb–Apr are owed again as arrears, but Feb and March were paid and are still claimed.
    await feed(app, schedule(b, 3, [period("2024-07", None, 750_000)]))
    may = await generate(http, minter, ALLOWANCE, "2026-05")
    line = await line_of(http, minter, may, b)
    assert (line["regular"], line["arrears"], line["to_recover"], line["to_recover_offset"], line["total"]) == (
        750_000,
        2_250_000,
        0,
        1_500_000,
        1_500_000,
    )
    untouched = await line_of(http, minter, may, other)
    assert (untouched["total"], untouched["to_recover_offset"]) == (750_000, 0)
    assert (may["totals"]["to_recover_offset"], may["totals"]["amount"]) == (1_500_000, 2_250_000)
    _consistent(may)
    # Nothing reaches the ledger before approval (the balance is read from approved payrolls only).
    assert await _ledger(app, b) == {"to_recover": 1_500_000}
    may = await approve(http, minter, may)
    assert await _ledger(app, b) == {"to_recover": 1_500_000, "to_recover_offset": -1_500_000}
    # The claim is closed: June pays the month, nothing more withheld.
    june = await generate(http, minter, ALLOWANCE, "2026-06")
    line = await line_of(http, minter, june, b)
    assert (line["total"], line["to_recover_offset"]) == (750_000, 0)
    # Ledger totals: the offset is shown, issued = Σ line totals, nothing left to recover.
    report = (await http.get("/ledger/totals", params={"year": 2026}, headers=maker(minter))).json()["total"]
    assert (report["to_recover"], report["to_recover_offset"]) == (1_500_000, -1_500_000)
    assert report["issued"] == 3 * 2 * 750_000 + april["totals"]["amount"] + may["totals"]["amount"]
    assert report["issued"] == sum(
        report[k] for k in ("regular", "arrears", "recovery", "to_recover", "to_recover_offset")
    )
    # b was paid Jan–Mar (kept), nothing in April, April + May in May: 5 months; the other one 5 months.
    assert report["issued"] == (5 + 5) * 750_000


async def test_an_open_balance_larger_than_a_line_is_absorbed_over_several_payrolls(app, http, minter):
    b, other = uuid.uuid4(), uuid.uuid4()
    await _died_in_january(app, http, minter, b, other)
    # Reinstated from May only (1,000,000 a month): Feb–Apr stay unowed, the 1,500,000 claim is netted over two lines.
    await feed(app, schedule(b, 3, [period("2024-07", "2026-01", 750_000), period("2026-05", None, 1_000_000)]))
    may = await approve(http, minter, await generate(http, minter, ALLOWANCE, "2026-05"))
    line = await line_of(http, minter, may, b)
    assert (line["regular"], line["arrears"], line["to_recover_offset"], line["total"]) == (1_000_000, 0, 1_000_000, 0)
    assert (await line_of(http, minter, may, other))["total"] == 750_000
    _consistent(may)
    assert await _ledger(app, b) == {"to_recover": 1_500_000, "to_recover_offset": -1_000_000}
    june = await approve(http, minter, await generate(http, minter, ALLOWANCE, "2026-06"))
    line = await line_of(http, minter, june, b)
    assert (line["to_recover_offset"], line["total"]) == (500_000, 500_000)
    _consistent(june)
    assert await _ledger(app, b) == {"to_recover": 1_500_000, "to_recover_offset": -1_500_000}
    july = await generate(http, minter, ALLOWANCE, "2026-07")
    line = await line_of(http, minter, july, b)
    assert (line["to_recover_offset"], line["total"]) == (0, 1_000_000)
    report = (await http.get("/ledger/totals", params={"year": 2026}, headers=maker(minter))).json()["total"]
    assert report["to_recover"] + report["to_recover_offset"] == 0
    assert report["issued"] == sum(p["totals"]["amount"] for p in (may, june)) + 3 * 2 * 750_000 + 750_000
