"""The exchange with BHXH: lists built from the decided entitlements, identity fields read from the registry (never
stored), results by API and by file with Idempotency-Key, exceptions never applied silently, cards and events."""

import csv
import io
import uuid
from datetime import date

import openpyxl
from sqlalchemy import select, text

from common import clock
from services.insurance.models import EVENT_TABLES

from .helpers import approved, died, feed, registered

BHXH = "bhxh"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def bhxh(minter, **kw):
    return minter.headers("insurance:exchange", client_id=BHXH, **kw)


def officer(minter):
    return minter.headers("insurance:write", "insurance:read", client_id="officer")


async def person(registry, minter, name, born, sex, national_id):
    r = await registry.post(
        "/persons",
        headers=minter.headers("registry:write", "registry:read"),
        json={
            "full_name": name,
            "date_of_birth": born,
            "sex": sex,
            "national_id": national_id,
            "commune_code": "99101",
            "address_line": '=HYPERLINK("x") Khóm 2',
        },
    )
    assert r.status_code == 201, r.text
    return uuid.UUID(r.json()["id"])


async def setup(registry, exchange, minter):
    """A child and an elderly beneficiary, registered in the registry; insurance learns of them from events."""
    child = await person(registry, minter, "Nguyễn Thị Bé", "2026-01-10", "female", "084326000111")
    elder = await person(registry, minter, "Trần Văn Ông", "1950-03-02", "male", "084050000222")
    await feed(
        exchange.app,
        registered(
            child, date(2026, 1, 10), on=date(2026, 2, 1), province_code="99", district_code="991", commune_code="99101"
        ),
        registered(
            elder,
            date(1950, 3, 2),
            on=date(2020, 1, 1),
            sex="male",
            province_code="99",
            district_code="991",
            commune_code="99101",
        ),
        approved(uuid.uuid4(), elder, "2026-03", born=date(1950, 3, 2)),
    )
    return child, elder


async def build(exchange, minter, period):
    r = await exchange.post("/lists", headers=officer(minter), json={"period": period})
    assert r.status_code == 201, r.text
    return r.json()


async def test_a_period_list_names_each_person_once_with_identity_read_from_the_registry(registry, exchange, minter):
    child, elder = await setup(registry, exchange, minter)
    with clock.frozen(date(2026, 7, 5)):
        lst = await build(exchange, minter, "2026-07")
    assert (lst["item_count"], lst["counts"]["enrol"]) == (2, 2)
    assert (await exchange.post("/lists", headers=officer(minter), json={"period": "2026-07"})).status_code == 409

    r = await exchange.get(f"/lists/{lst['id']}/items", headers=bhxh(minter))
    assert r.status_code == 200, r.text
    items = {i["person_id"]: i for i in r.json()["items"]}
    # Pages: limit 1 gives one item and a cursor to the other.
    first = (await exchange.get(f"/lists/{lst['id']}/items?limit=1", headers=bhxh(minter))).json()
    second = (
        await exchange.get(f"/lists/{lst['id']}/items?limit=1&cursor={first['next_cursor']}", headers=bhxh(minter))
    ).json()
    assert {first["items"][0]["person_id"], second["items"][0]["person_id"]} == set(items)
    assert (
        items[str(child)]["group"],
        items[str(child)]["benefit_level"],
        items[str(child)]["valid_from"],
        items[str(child)]["valid_to"],
    ) == ("TE", 1, "2026-02-01", "2032-09-30")
    assert (items[str(elder)]["group"], items[str(elder)]["valid_from"], items[str(elder)]["valid_to"]) == (
        "BT",
        "2026-03-01",
        None,
    )
    assert (items[str(elder)]["full_name"], items[str(elder)]["national_id"]) == ("Trần Văn Ông", "084050000222")
    # Insurance stores no name and no national ID (only a keyed digest, for the coverage check).
    async with exchange.app.state.sessionmaker() as s:
        dump = str(
            (
                await s.execute(
                    text(
                        "SELECT p.*, i.* FROM insurance.persons p JOIN insurance.exchange_items i ON i.person_id = p.id"
                    )
                )
            ).all()
        )
    assert "084050000222" not in dump and "Trần" not in dump

    r = await exchange.get(f"/lists/{lst['id']}/download?format=csv", headers=bhxh(minter))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:6] == ["STT", "Mã người", "Họ và tên", "Ngày sinh", "Giới tính", "Số định danh cá nhân"]
    by_id = {row[1]: row for row in rows[1:]}
    assert by_id[str(child)][2:5] == ["Nguyễn Thị Bé", "10/01/2026", "Nữ"]
    assert by_id[str(child)][10] == "Tăng mới"
    assert by_id[str(child)][6].startswith("'=")  # a formula in the address is escaped
    r = await exchange.get(f"/lists/{lst['id']}/download?format=xlsx&action=enrol", headers=bhxh(minter))
    assert r.status_code == 200 and r.content[:2] == b"PK"
    # Area-limited BHXH offices see only their areas; the list needs the exchange scope.
    r = await exchange.get(f"/lists/{lst['id']}/items", headers=bhxh(minter, areas=("844",)))
    assert r.json()["items"] == []
    assert (await exchange.get(f"/lists/{lst['id']}/items", headers=officer(minter))).status_code == 403


def results_file(rows, fill):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(rows[0])
    for row in rows[1:]:
        writer.writerow(row[:16] + fill.get(row[1], ["", "", "", "", ""]))
    return out.getvalue().encode("utf-8-sig")


async def test_results_by_file_and_api_issue_cards_and_never_apply_a_wrong_one(registry, exchange, minter):
    child, elder = await setup(registry, exchange, minter)
    lst = await build(exchange, minter, "2026-07")
    r = await exchange.get(f"/lists/{lst['id']}/download?format=csv", headers=bhxh(minter))
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    body = results_file(
        rows,
        {
            str(child): ["Đã cấp thẻ", "TE1860000000111", "01/02/2026", "30/09/2032", ""],
            str(elder): ["Đã cấp thẻ", "HN2860000000222", "01/03/2026", "", ""],  # wrong group: an exception
        },
    )
    url = f"/lists/{lst['id']}/results/file"
    headers = {**bhxh(minter), "Content-Type": "text/csv", "Idempotency-Key": "file-1"}
    r = await exchange.post(url, headers=headers, content=body)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["applied"] == 1
    assert [(e["kind"], e["person_id"]) for e in out["exceptions"]] == [("wrong_code", str(elder))]
    assert "object code HN is not the group's BT" in out["exceptions"][0]["detail"]["problems"]
    replay = await exchange.post(url, headers=headers, content=body)
    assert replay.headers.get("idempotent-replayed") == "true" and replay.json() == out
    # A file that is no results file: every problem names where it is (the fuzzer found "field": null here).
    r = await exchange.post(url, headers={**headers, "Idempotency-Key": "not-a-file"}, content=b"{}")
    assert r.status_code == 422 and r.json()["errors"]
    assert all(isinstance(e["field"], str) and e["line"] == 1 for e in r.json()["errors"]), r.json()

    # The corrected card by API; a person not on the list and a second, different answer are exceptions.
    api = f"/lists/{lst['id']}/results"
    r = await exchange.post(
        api,
        headers={**bhxh(minter), "Idempotency-Key": "api-1"},
        json={
            "results": [
                {
                    "person_id": str(elder),
                    "outcome": "issued",
                    "card_code": "BT2860000000222",
                    "valid_from": "2026-03-01",
                },
                {
                    "person_id": str(uuid.uuid4()),
                    "outcome": "issued",
                    "card_code": "BT2860000000999",
                    "valid_from": "2026-03-01",
                },
                {
                    "person_id": str(child),
                    "outcome": "issued",
                    "card_code": "TE1860000000333",
                    "valid_from": "2026-02-01",
                },
            ]
        },
    )
    assert r.status_code == 200, r.text
    assert r.json()["applied"] == 1
    assert sorted(e["kind"] for e in r.json()["exceptions"]) == ["not_in_list", "reported_twice"]
    # The same answer again changes nothing.
    r = await exchange.post(
        api,
        headers=bhxh(minter),
        json={
            "results": [
                {
                    "person_id": str(elder),
                    "outcome": "issued",
                    "card_code": "BT2860000000222",
                    "valid_from": "2026-03-01",
                }
            ]
        },
    )
    assert (r.json()["applied"], r.json()["unchanged"]) == (0, 1)
    listed = (await exchange.get(f"/lists/{lst['id']}/exceptions", headers=bhxh(minter))).json()
    assert len(listed) == 3
    resolved = await exchange.post(
        f"/exceptions/{listed[0]['id']}/resolve",
        headers=officer(minter),
        json={"resolution": "BHXH re-sent the right code"},
    )
    assert resolved.json()["status"] == "resolved"
    # Resolved once: a second resolution is refused and the first one stands (who resolved it, and how).
    again = await exchange.post(
        f"/exceptions/{listed[0]['id']}/resolve",
        headers=minter.headers("insurance:write", "insurance:read", client_id="officer-2"),
        json={"resolution": "something else"},
    )
    assert (again.status_code, again.json()["type"].rsplit("/", 1)[1]) == (409, "exception-resolved")
    assert (again.json()["resolved_by"], again.json()["resolution"]) == ("officer", "BHXH re-sent the right code")
    listed = (await exchange.get(f"/lists/{lst['id']}/exceptions", headers=bhxh(minter))).json()
    first = next(e for e in listed if e["id"] == resolved.json()["id"])
    assert (first["resolution"], first["resolved_by"]) == ("BHXH re-sent the right code", "officer")

    cards = (await exchange.get(f"/persons/{elder}/cards", headers=minter.headers("insurance:read"))).json()
    assert [(c["code"], c["number"], c["group"]) for c in cards["cards"]] == [("BT2860000000222", "0000000222", "BT")]
    assert [h["kind"] for h in cards["history"]] == ["issued"]
    async with exchange.app.state.sessionmaker() as s:
        envelopes = (await s.scalars(select(EVENT_TABLES.outbox.c.envelope).order_by(EVENT_TABLES.outbox.c.id))).all()
    issued = [e["data"] for e in envelopes if e["type"] == "insurance.card.issued.v1"]
    assert sorted(e["code"] for e in issued) == ["BT2860000000222", "TE1860000000111"]
    assert all("national_id" not in e and "full_name" not in e for e in issued)
    assert [e["type"] for e in envelopes].count("insurance.list.ready.v1") == 1


async def test_a_file_downloaded_after_answers_shows_the_cards_and_goes_back_as_it_is(registry, exchange, minter):
    """BHXH answers part of a list by API, downloads the file again to fill in the rest and uploads it: the answered
    rows show the card issued (code and validity), so the file goes back as it is, its answered rows unchanged."""
    child, elder = await setup(registry, exchange, minter)
    lst = await build(exchange, minter, "2026-07")
    r = await exchange.post(
        f"/lists/{lst['id']}/results",
        headers=bhxh(minter),
        json={
            "results": [
                {
                    "person_id": str(child),
                    "outcome": "issued",
                    "card_code": "TE1860000000111",
                    "valid_from": "2026-02-01",
                    "valid_to": "2032-09-30",
                }
            ]
        },
    )
    assert r.json()["applied"] == 1, r.text
    body = (await exchange.get(f"/lists/{lst['id']}/download?format=csv", headers=bhxh(minter))).content
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    by_person = {row[1]: row for row in rows[1:]}
    assert by_person[str(child)][16:] == ["Đã cấp thẻ", "TE1860000000111", "01/02/2026", "30/09/2032", ""]
    assert by_person[str(elder)][16:] == ["", "", "", "", ""]
    items = (await exchange.get(f"/lists/{lst['id']}/items", headers=bhxh(minter))).json()["items"]
    answers = {i["person_id"]: (i["result"], i["card_code"], i["card_valid_from"], i["card_valid_to"]) for i in items}
    assert answers == {
        str(child): ("issued", "TE1860000000111", "2026-02-01", "2032-09-30"),
        str(elder): ("pending", None, None, None),
    }

    # The file as downloaded, the elder's row filled in: the child's row is unchanged, the elder's card is issued.
    filled = results_file(
        rows,
        {
            str(child): by_person[str(child)][16:],
            str(elder): ["Đã cấp thẻ", "BT2860000000222", "01/03/2026", "", ""],
        },
    )
    r = await exchange.post(
        f"/lists/{lst['id']}/results/file",
        headers={**bhxh(minter), "Content-Type": "text/csv", "Idempotency-Key": "rest-1"},
        content=filled,
    )
    assert r.status_code == 200, r.text
    assert (r.json()["applied"], r.json()["unchanged"], r.json()["exceptions"]) == (1, 1, [])

    # The XLSX download carries the same cards, as dates, and goes back unchanged too.
    r = await exchange.get(f"/lists/{lst['id']}/download?format=xlsx", headers=bhxh(minter))
    sheet = openpyxl.load_workbook(io.BytesIO(r.content)).worksheets[0]
    cells = {row[1]: row[16:20] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert cells[str(elder)][:2] == ("Đã cấp thẻ", "BT2860000000222")
    assert cells[str(elder)][2].date() == date(2026, 3, 1) and cells[str(elder)][3] is None
    r = await exchange.post(
        f"/lists/{lst['id']}/results/file",
        headers={**bhxh(minter), "Content-Type": XLSX, "Idempotency-Key": "xlsx-again"},
        content=r.content,
    )
    assert r.status_code == 200, r.text
    assert (r.json()["applied"], r.json()["unchanged"], r.json()["exceptions"]) == (0, 2, [])


async def test_a_second_card_for_the_same_person_is_an_exception(registry, exchange, minter):
    child, _ = await setup(registry, exchange, minter)
    lst = await build(exchange, minter, "2026-07")
    async with exchange.app.state.sessionmaker() as s:  # a card BHXH issued meanwhile on another channel
        await s.execute(
            text("""INSERT INTO insurance.cards (id, person_id, group_code, code, number, issuing_province,
            valid_from, commune_code, district_code, province_code) VALUES (gen_random_uuid(), :p, 'TE',
            'TE1860000000777', '0000000777', '86', DATE '2026-02-01', '99101', '991', '99')"""),
            {"p": child},
        )
        await s.commit()
    r = await exchange.post(
        f"/lists/{lst['id']}/results",
        headers=bhxh(minter),
        json={
            "results": [
                {
                    "person_id": str(child),
                    "outcome": "issued",
                    "card_code": "TE1860000000111",
                    "valid_from": "2026-02-01",
                }
            ]
        },
    )
    assert [e["kind"] for e in r.json()["exceptions"]] == ["second_card"]


async def test_a_late_death_ends_the_card_retroactively_and_lists_it_to_end(registry, exchange, minter):
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
                }
            ]
        },
    )
    await feed(exchange.app, died(elder, date(1950, 3, 2), date(2026, 5, 20)))
    cards = (await exchange.get(f"/persons/{elder}/cards", headers=minter.headers("insurance:read"))).json()
    assert [(c["valid_to"], c["end_reason"]) for c in cards["cards"]] == [("2026-05-20", "death")]
    assert [h["kind"] for h in cards["history"]] == ["issued", "ended"]
    nxt = await build(exchange, minter, "2026-08")
    items = (await exchange.get(f"/lists/{nxt['id']}/items?action=end", headers=bhxh(minter))).json()["items"]
    assert [(i["person_id"], i["valid_to"], i["current_card"]) for i in items] == [
        (str(elder), "2026-05-20", "BT2860000000222")
    ]
    r = await exchange.post(
        f"/lists/{nxt['id']}/results",
        headers=bhxh(minter),
        json={"results": [{"person_id": str(elder), "outcome": "ended"}]},
    )
    assert r.json()["applied"] == 1
    # Told once: the next period does not list it again.
    third = await build(exchange, minter, "2026-09")
    assert third["counts"]["end"] == 0


async def test_a_registry_out_of_reach_is_a_503_problem_and_builds_nothing(registry, exchange, minter):
    import httpx

    from services.insurance.exchange.identities import RegistryIdentities

    await setup(registry, exchange, minter)

    def refuse(request):
        raise httpx.ConnectError("connection refused", request=request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(refuse), base_url="http://gateway") as down:
        exchange.app.state.identities = RegistryIdentities(
            down,
            "http://gateway/registry",
            gateway_url="http://gateway",
            client_id="svc-insurance",
            client_secret="s3cret-value",
        )
        r = await exchange.post("/lists", headers=officer(minter), json={"period": "2026-07"})
    assert r.status_code == 503 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["type"].endswith("/registry-unavailable")
    assert (await exchange.get("/lists", headers=bhxh(minter))).json() == []


async def test_a_download_read_in_many_chunks_is_the_same_file(registry, exchange, minter, monkeypatch):
    """Downloads read the list chunk by chunk and fetch the next chunk's identities while writing the current one:
    with one item a chunk the file is the same, numbered once, every person with their identity."""
    from services.insurance.exchange import files

    child, elder = await setup(registry, exchange, minter)
    with clock.frozen(date(2026, 7, 5)):
        lst = await build(exchange, minter, "2026-07")
    whole = (await exchange.get(f"/lists/{lst['id']}/download?format=csv", headers=bhxh(minter))).content
    monkeypatch.setattr(files, "CHUNK", 1)
    chunked = (await exchange.get(f"/lists/{lst['id']}/download?format=csv", headers=bhxh(minter))).content
    assert chunked == whole
    rows = list(csv.reader(io.StringIO(chunked.decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == ["1", "2"]
    assert {r[1]: r[2] for r in rows[1:]} == {str(child): "Nguyễn Thị Bé", str(elder): "Trần Văn Ông"}


async def _report(exchange, minter, list_id, *answers):
    r = await exchange.post(
        f"/lists/{list_id}/results",
        headers=bhxh(minter),
        json={
            "results": [
                {"person_id": str(p), "outcome": "issued", "card_code": code, "valid_from": start}
                for p, code, start in answers
            ]
        },
    )
    assert r.status_code == 200, r.text
    return r.json()


async def _held_elsewhere(exchange, person_id, group, code, valid_from, valid_to):
    """A card BHXH issued before (not from these lists)."""
    async with exchange.app.state.sessionmaker() as s:
        await s.execute(
            text("""INSERT INTO insurance.cards (id, person_id, group_code, code, number, issuing_province,
            valid_from, valid_to, commune_code, district_code, province_code) VALUES (gen_random_uuid(), :p, :g, :c,
            right(:c, 10), '86', :f, :t, '99101', '991', '99')"""),
            {"p": person_id, "g": group, "c": code, "f": valid_from, "t": valid_to},
        )
        await s.commit()


async def _events(exchange, type_):
    async with exchange.app.state.sessionmaker() as s:
        envelopes = (await s.scalars(select(EVENT_TABLES.outbox.c.envelope).order_by(EVENT_TABLES.outbox.c.id))).all()
    return [e["data"] for e in envelopes if e["type"] == type_]


async def test_one_report_changes_a_group_issues_cards_and_keeps_a_code_sent_twice_aside(registry, exchange, minter):
    """A report of several persons at once: a change ends the previous card the day before the new one (history and
    event), every other card is issued, and a code given to two persons in one report is applied once."""
    child, elder = await setup(registry, exchange, minter)
    twin = await person(registry, minter, "Nguyễn Văn Em", "2026-01-10", "male", "084226000333")
    await feed(
        exchange.app,
        registered(
            twin, date(2026, 1, 10), on=date(2026, 2, 1), province_code="99", district_code="991", commune_code="99101"
        ),
    )
    await _held_elsewhere(exchange, elder, "CN", "CN3860000000444", date(2026, 1, 1), date(2026, 12, 31))
    lst = await build(exchange, minter, "2026-07")
    assert (lst["counts"]["change"], lst["counts"]["enrol"]) == (1, 2)
    out = await _report(
        exchange,
        minter,
        lst["id"],
        (elder, "BT2860000000222", "2026-03-01"),
        (child, "TE1860000000111", "2026-02-01"),
        (twin, "te1860000000111", "2026-02-01"),  # the child's code again (read as upper case)
    )
    assert out["applied"] == 2
    assert [(e["kind"], e["person_id"]) for e in out["exceptions"]] == [("duplicate_code", str(twin))]
    cards = (await exchange.get(f"/persons/{elder}/cards", headers=minter.headers("insurance:read"))).json()
    assert [(c["code"], c["valid_to"], c["end_reason"]) for c in cards["cards"]] == [
        ("CN3860000000444", "2026-02-28", "changed_group"),
        ("BT2860000000222", None, None),
    ]
    assert [(h["kind"], h["code"]) for h in cards["history"]] == [
        ("ended", "CN3860000000444"),
        ("changed_group", "BT2860000000222"),
    ]
    ended = await _events(exchange, "insurance.card.ended.v1")
    assert [(e["code"], e["valid_to"], e["reason"]) for e in ended] == [
        ("CN3860000000444", "2026-02-28", "changed_group")
    ]
    issued = await _events(exchange, "insurance.card.issued.v1")
    assert sorted((e["code"], e["action"], e["person_id"]) for e in issued) == [
        ("BT2860000000222", "change", str(elder)),
        ("TE1860000000111", "enrol", str(child)),
    ]
    # The same report again: nothing new, the code sent twice is still an exception.
    again = await _report(
        exchange,
        minter,
        lst["id"],
        (elder, "BT2860000000222", "2026-03-01"),
        (child, "TE1860000000111", "2026-02-01"),
        (twin, "TE1860000000111", "2026-02-01"),
    )
    assert (again["applied"], again["unchanged"]) == (0, 2)
    assert [e["kind"] for e in again["exceptions"]] == ["duplicate_code"]
    assert len(await _events(exchange, "insurance.card.issued.v1")) == 2


async def test_a_code_taken_by_a_concurrent_writer_is_recorded_result_by_result(
    registry, exchange, minter, monkeypatch
):
    """Should another writer take a code between the report's reads and its writes, nothing of the set-wise attempt
    stays: the report is recorded result by result, the taken code becomes an exception, the rest is applied once."""
    from services.insurance.exchange import repository

    child, elder = await setup(registry, exchange, minter)
    await _held_elsewhere(exchange, elder, "CN", "CN3860000000444", date(2026, 1, 1), date(2026, 12, 31))
    lst = await build(exchange, minter, "2026-07")
    stranger = uuid.uuid4()
    await _held_elsewhere(exchange, stranger, "TE", "TE1860000000111", date(2026, 1, 1), None)
    real = repository.cards_by_code

    async def before_the_other_writer(session, codes):  # the read happened before the stranger's card was written
        return {c: i for c, i in (await real(session, codes)).items() if c != "TE1860000000111"}

    monkeypatch.setattr(repository, "cards_by_code", before_the_other_writer)
    out = await _report(
        exchange, minter, lst["id"], (elder, "BT2860000000222", "2026-03-01"), (child, "TE1860000000111", "2026-02-01")
    )
    assert out["applied"] == 1
    assert [(e["kind"], e["person_id"]) for e in out["exceptions"]] == [("duplicate_code", str(child))]
    cards = (await exchange.get(f"/persons/{elder}/cards", headers=minter.headers("insurance:read"))).json()
    assert [h["kind"] for h in cards["history"]] == ["ended", "changed_group"]  # once, not twice
    assert len(await _events(exchange, "insurance.card.ended.v1")) == 1
    assert [e["code"] for e in await _events(exchange, "insurance.card.issued.v1")] == ["BT2860000000222"]
    items = (await exchange.get(f"/lists/{lst['id']}/items", headers=bhxh(minter))).json()["items"]
    assert sorted(i["result"] for i in items) == ["issued", "pending"]


async def test_the_csv_made_by_postgresql_is_the_file_of_the_reference_writer(registry, exchange, minter):
    """The CSV download's cells (labels, dates, formula escaping) come from PostgreSQL; they are exactly those of the
    generic path (Python values through ``common.tabular``'s escaping), for an enrolment, a change with the card it
    replaces and a rejection whose reason would run as a formula."""
    from common import tabular
    from services.insurance.exchange import files
    from services.insurance.exchange import service as exchange_service

    child, elder = await setup(registry, exchange, minter)
    await _held_elsewhere(exchange, elder, "CN", "CN3860000000444", date(2026, 1, 1), date(2026, 12, 31))
    lst = await build(exchange, minter, "2026-07")
    r = await exchange.post(
        f"/lists/{lst['id']}/results",
        headers=bhxh(minter),
        json={"results": [{"person_id": str(child), "outcome": "rejected", "reason": '=HYPERLINK("x")'}]},
    )
    assert r.json()["applied"] == 1
    body = (await exchange.get(f"/lists/{lst['id']}/download?format=csv", headers=bhxh(minter))).content
    async with exchange.app.state.sessionmaker() as s:
        row = await exchange_service.get(s, uuid.UUID(lst["id"]))
    reference = b"".join(
        [
            part
            async for part in tabular.csv_stream(
                files.HEADERS,
                files.rows(
                    exchange.app.state.sessionmaker, row, None, None, exchange.app.state.identities, typed=False
                ),
            )
        ]
    )
    assert body == reference
    rows = {r[1]: r for r in csv.reader(io.StringIO(body.decode("utf-8-sig")))}
    assert rows[str(child)][16:] == ["Từ chối", "", "", "", '\'=HYPERLINK("x")']
    assert rows[str(elder)][10:16] == ["Thay đổi đối tượng", "BT", "2", "01/03/2026", "", "CN3860000000444"]
