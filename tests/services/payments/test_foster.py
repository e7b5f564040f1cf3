"""The foster_care programme: foster placements from child protection's events are paid monthly through the payroll
and the post office (Decree 20/2021 Art 20), through the HTTP API and the inbox."""

import itertools
import uuid

from sqlalchemy import text

from common.events.envelope import Event, new_event
from services.payments.consumers import PLACEMENT_ENDED, PLACEMENT_RECORDED

from .helpers import account_from, batches, feed, generate, line_of, maker, run

PROGRAMME = "foster_care"
CP = "/ansinh/child_protection"
_seq = itertools.count(1)


def recorded(
    placement: uuid.UUID,
    *,
    birth: str = "2022-05-10",
    starts_on: str = "2026-01-15",
    foster_allowance: bool = True,
    kind: str = "foster",
    case_number: str | None = "CP-000042",
    commune: str = "29242",
) -> Event:
    data = {
        "placement_id": str(placement),
        "child_id": str(uuid.uuid5(placement, "child")),
        "person_id": None,
        "case_id": str(uuid.uuid5(placement, "case")),
        "case_number": case_number,
        "kind": kind,
        "starts_on": starts_on,
        "first_report_due": "2026-07-15",
        "foster_allowance": foster_allowance,
        "child_date_of_birth": birth,
        "commune_code": commune,
        "district_code": "",
        "province_code": "86",
    }
    return Event.model_validate({**new_event(CP, PLACEMENT_RECORDED, str(placement), data), "sequence": next(_seq)})


def ended(placement: uuid.UUID, ends_on: str, kind: str = "foster") -> Event:
    data = {
        "placement_id": str(placement),
        "child_id": str(uuid.uuid5(placement, "child")),
        "kind": kind,
        "ends_on": ends_on,
        "commune_code": "29242",
        "district_code": "",
        "province_code": "86",
    }
    return Event.model_validate({**new_event(CP, PLACEMENT_ENDED, str(placement), data), "sequence": next(_seq)})


async def test_a_foster_carer_of_a_5_1_child_is_paid_2_5_then_1_5_times_the_standard_level_at_the_post_office(
    app, http, minter
):
    young, other_kind, no_allowance = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await feed(
        app,
        recorded(young, birth="2022-03-10", starts_on="2026-01-20"),
        recorded(other_kind, kind="kinship"),
        recorded(no_allowance, foster_allowance=False),
    )
    r = await http.get(f"/programmes/{PROGRAMME}", headers=maker(minter))
    assert r.status_code == 200, r.text
    assert r.json()["kind"] == "foster" and "standard_level" in r.json()["parameter_names"]
    await account_from(http, minter, PROGRAMME, "2026-02")

    # February: 2.5 × 500,000 (January, before the accounting month, was paid outside the system).
    feb = await run(http, minter, PROGRAMME, "2026-02")
    assert (feb["totals"]["line_count"], feb["totals"]["amount"]) == (1, 1_250_000)
    line = await line_of(http, minter, feb, young)
    assert line["recipient_name"] == "Gia đình nhận chăm sóc thay thế trẻ em, hồ sơ CP-000042"
    assert (line["person_id"], line["national_id"], line["commune_code"]) == (None, None, "29242")
    # March: the month of the 4th birthday pays 1.5 ×.
    march = await run(http, minter, PROGRAMME, "2026-03")
    assert [(m["month"], m["amount"]) for m in (await line_of(http, minter, march, young))["months"]] == [
        ("2026-03", 750_000)
    ]
    assert (await batches(http, minter, march))["29242"]["amount"] == 750_000

    # July 2026: the standard level becomes 540,000 (1.5 × = 810,000); April–July generate in order.
    for month in ("2026-04", "2026-05", "2026-06"):
        await run(http, minter, PROGRAMME, month)
    july = await generate(http, minter, PROGRAMME, "2026-07")
    assert (await line_of(http, minter, july, young))["regular"] == 810_000


async def test_an_end_stops_the_payment_after_its_month_and_a_retroactive_end_is_recovered(app, http, minter):
    p = uuid.uuid4()
    await feed(app, recorded(p, birth="2015-01-01", starts_on="2025-11-03"))
    await account_from(http, minter, PROGRAMME, "2026-01")
    for month in ("2026-01", "2026-02", "2026-03"):
        await run(http, minter, PROGRAMME, month)
    # Care ended on 10 February, recorded in April: March (750,000) was paid for nothing and is recovered.
    await feed(app, ended(p, "2026-02-10"))
    april = await run(http, minter, PROGRAMME, "2026-04")
    line = await line_of(http, minter, april, p)
    assert (line["regular"], line["recovery"], line["total"], line["to_recover"]) == (0, -750_000, 0, 750_000)
    may = await generate(http, minter, PROGRAMME, "2026-05")
    assert await line_of(http, minter, may, p) is None


async def test_payment_stops_after_the_month_of_the_16th_birthday(app, http, minter):
    p = uuid.uuid4()
    await feed(app, recorded(p, birth="2010-03-31", starts_on="2024-01-02"))
    await account_from(http, minter, PROGRAMME, "2026-02")
    feb = await run(http, minter, PROGRAMME, "2026-02")
    assert (await line_of(http, minter, feb, p))["regular"] == 750_000
    march = await run(http, minter, PROGRAMME, "2026-03")  # turns 16 on 31 March: paid that month
    assert (await line_of(http, minter, march, p))["regular"] == 750_000
    april = await generate(http, minter, PROGRAMME, "2026-04")
    assert await line_of(http, minter, april, p) is None


async def test_a_repeated_or_redelivered_event_pays_once(app, http, minter):
    p = uuid.uuid4()
    event = recorded(p, starts_on="2026-02-01")
    again = recorded(p, starts_on="2026-02-01")  # the same content under another event id
    assert await feed(app, event, event, again) == [True, False, True]
    await feed(app, ended(p, "2026-03-31"), ended(p, "2026-03-31"))
    await account_from(http, minter, PROGRAMME, "2026-02")
    feb = await run(http, minter, PROGRAMME, "2026-02")
    assert (feb["totals"]["line_count"], feb["totals"]["amount"]) == (1, 1_250_000)
    async with app.state.sessionmaker() as session:
        version = (
            await session.execute(text("SELECT version FROM payments.foster_placements WHERE id = :id"), {"id": p})
        ).scalar_one()
    assert version == 2  # recorded once, ended once: nothing else moved it
    march = await run(http, minter, PROGRAMME, "2026-03")
    assert march["totals"]["amount"] == 1_250_000
    april = await generate(http, minter, PROGRAMME, "2026-04")
    assert april["totals"]["line_count"] == 0


async def test_a_standard_level_is_whole_vnd_and_recorded_by_an_admin(http, minter):
    r = await http.post(
        f"/programmes/{PROGRAMME}/parameters",
        headers=minter.headers("admin"),
        json={"name": "standard_level", "valid_from": "2027-01", "value": "550000.5", "legal_basis": "Nghị định …"},
    )
    assert r.status_code == 422 and "value" in r.text


async def test_terms_published_again_are_settled_by_the_next_payroll(app, http, minter):
    """Child protection publishes a placement again when the child's groups or birth date change: a placement that
    now qualifies is paid from its start (arrears); a corrected birth date moves the rate change."""
    late_orphan, corrected = uuid.uuid4(), uuid.uuid4()
    await feed(
        app,
        recorded(late_orphan, starts_on="2026-01-10", foster_allowance=False),
        recorded(corrected, birth="2022-06-01", starts_on="2026-01-10"),
    )
    await account_from(http, minter, PROGRAMME, "2026-01")
    jan = await run(http, minter, PROGRAMME, "2026-01")
    assert await line_of(http, minter, jan, late_orphan) is None
    assert (await line_of(http, minter, jan, corrected))["regular"] == 1_250_000
    # The child was born in 2021, not 2022: 4 in June 2025, so 1.5 × already in January (recovered in February).
    await feed(
        app,
        recorded(late_orphan, starts_on="2026-01-10", foster_allowance=True),
        recorded(corrected, birth="2021-06-01", starts_on="2026-01-10"),
    )
    feb = await run(http, minter, PROGRAMME, "2026-02")
    orphan = await line_of(http, minter, feb, late_orphan)
    assert (orphan["regular"], orphan["arrears"], orphan["total"]) == (1_250_000, 1_250_000, 2_500_000)
    fixed = await line_of(http, minter, feb, corrected)
    assert (fixed["regular"], fixed["recovery"], fixed["total"]) == (750_000, -500_000, 250_000)
    # The orphan group was recorded in error and ended: the placement no longer qualifies, both months are recovered.
    await feed(app, recorded(late_orphan, starts_on="2026-01-10", foster_allowance=False))
    march = await run(http, minter, PROGRAMME, "2026-03")
    gone = await line_of(http, minter, march, late_orphan)
    assert (gone["regular"], gone["recovery"], gone["total"], gone["to_recover"]) == (0, -2_500_000, 0, 2_500_000)


async def test_officers_read_the_placements_within_their_areas(app, http, minter):
    inside, outside, other_kind = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await feed(
        app,
        recorded(inside, birth="2022-03-10", starts_on="2026-01-20"),
        recorded(outside, commune="29266"),
        recorded(other_kind, kind="facility"),
    )
    await feed(app, ended(inside, "2026-08-31"))
    r = await http.get("/programmes/foster_care/placements", headers=maker(minter, areas=("842",)))
    assert r.status_code == 200, r.text
    [item] = r.json()["items"]
    assert (
        item["id"],
        item["case_number"],
        item["first_month"],
        item["rate_change_month"],
        item["last_month"],
        item["ends_on"],
        item["version"],
    ) == (str(inside), "CP-000042", "2026-01", "2026-03", "2026-08", "2026-08-31", 2)
    r = await http.get("/programmes/foster_care/placements", params={"in_force": "2026-09"}, headers=maker(minter))
    assert {i["id"] for i in r.json()["items"]} == {str(outside)}
    assert (
        await http.get(f"/programmes/foster_care/placements/{outside}", headers=maker(minter, areas=("842",)))
    ).status_code == 404
    assert (await http.get(f"/programmes/foster_care/placements/{inside}", headers=maker(minter))).status_code == 200
    assert (
        await http.get(f"/programmes/foster_care/placements/{other_kind}", headers=maker(minter))
    ).status_code == 404
    r = await http.get("/programmes/foster_care/placements", params={"in_force": "2026-13"}, headers=maker(minter))
    assert r.status_code == 422 and "in_force" in r.text
    r = await http.get("/programmes/foster_care/placements", headers=minter.headers("insurance:read"))
    assert r.status_code == 403
