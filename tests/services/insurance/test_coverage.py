"""The coverage check for hospitals and field-officer apps: valid or not on a day, nothing else; audited; limited."""

from datetime import date

from sqlalchemy import text

from .test_exchange import bhxh, build, setup


async def test_coverage_answers_only_validity_and_audits_every_call(registry, exchange, minter):
    _, elder = await setup(registry, exchange, minter)
    lst = await build(exchange, minter, "2026-07")
    await exchange.post(
        f"/lists/{lst['id']}/results",
        headers=bhxh(minter),
        json={
            "results": [
                {
                    "person_id": str(elder),
                    "outcome": "issued",
                    "card_code": "BT2860000000222",
                    "valid_from": "2026-03-01",
                    "valid_to": "2026-12-31",
                }
            ]
        },
    )
    hospital = {**minter.headers("insurance:coverage", client_id="hospital-1"), "X-Purpose": "kham benh"}
    r = await exchange.get("/coverage?national_id=084050000222&on=2026-06-15", headers=hospital)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "on": "2026-06-15",
        "covered": True,
        "group": "BT",
        "benefit_level": 2,
        "valid_from": "2026-03-01",
        "valid_to": "2026-12-31",
    }
    assert "Trần" not in r.text and "0000000222" not in r.text
    before = await exchange.get("/coverage?national_id=084050000222&on=2026-02-28", headers=hospital)
    assert before.json()["covered"] is False and before.json()["group"] is None
    unknown = await exchange.get("/coverage?national_id=084050009999", headers=hospital)
    assert unknown.json()["covered"] is False
    # insurance:read includes the check; other scopes do not; the purpose is required; the ID must be 12 digits.
    reader = {**minter.headers("insurance:read"), "X-Purpose": "kiem tra"}
    assert (await exchange.get("/coverage?national_id=084050000222", headers=reader)).status_code == 200
    other = {**minter.headers("registry:read"), "X-Purpose": "x"}
    assert (await exchange.get("/coverage?national_id=084050000222", headers=other)).status_code == 403
    no_purpose = minter.headers("insurance:coverage")
    assert (await exchange.get("/coverage?national_id=084050000222", headers=no_purpose)).status_code == 422
    assert (await exchange.get("/coverage?national_id=84050000222", headers=hospital)).status_code == 422
    async with exchange.app.state.sessionmaker() as s:
        audit = (
            await s.execute(
                text(
                    "SELECT client_id, purpose, on_day, covered, national_id_digest "
                    "FROM insurance.coverage_reads ORDER BY id"
                )
            )
        ).all()
    assert [(a.client_id, a.purpose, a.on_day, a.covered) for a in audit[:3]] == [
        ("hospital-1", "kham benh", date(2026, 6, 15), True),
        ("hospital-1", "kham benh", date(2026, 2, 28), False),
        ("hospital-1", "kham benh", audit[2].on_day, False),
    ]
    assert all("084050000222" not in a.national_id_digest for a in audit)


async def test_coverage_is_rate_limited_per_client(exchange, minter):
    settings = exchange.app.state.settings
    settings.coverage_rate, settings.coverage_burst = 0.01, 3
    heavy = {**minter.headers("insurance:coverage", client_id="busy-app"), "X-Purpose": "x"}
    codes = [(await exchange.get("/coverage?national_id=084050000222", headers=heavy)).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    r = await exchange.get("/coverage?national_id=084050000222", headers=heavy)
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    other = {**minter.headers("insurance:coverage", client_id="quiet-app"), "X-Purpose": "x"}
    assert (await exchange.get("/coverage?national_id=084050000222", headers=other)).status_code == 200
