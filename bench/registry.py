"""Registry bulk import and search, end to end through the gateway, on the real processes.

Import: realistic persons (Vietnamese names from Faker ``vi_VN``, national IDs that agree with the date of
birth and sex, communes in force today) in one CSV, ``POST /registry/imports?kind=persons`` through the
gateway; persons/s is file size ÷ wall time of that request (parse, check, insert persons, change records
and outbox events, commit). The PostgreSQL COPY rate of the same rows into a table shaped like
``registry.persons`` (same indexes) is measured in the same run: the ratio says how close the HTTP path
comes to the database's bulk-load limit.

Search: with those persons loaded (and beneficiaries approved for some of them), wrk measures
diacritic-insensitive name searches with filters through the gateway.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import os
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

import asyncpg
import httpx

from ansinh import database

from .harness import (
    BENCH_DB,
    CpuMeter,
    LoadResult,
    admin_url,
    bearer,
    load_average,
    machine,
    postmaster_pid,
    record,
    running_stack,
    wrk,
)

HEADER = ["STT", "Họ và tên", "Ngày sinh", "Giới tính", "Số CCCD", "Mã xã", "Địa chỉ", "Số điện thoại", "Dân tộc"]
PROVINCES = ["084"] * 8 + ["083", "086", "079", "094"]  # mostly born in Trà Vinh


@dataclass
class Person:
    name: str
    dob: dt.date
    sex: str
    national_id: str
    commune: str
    address: str
    phone: str
    ethnicity: str


SURNAMES = {
    "Nguyễn": 38,
    "Trần": 11,
    "Lê": 9,
    "Phạm": 7,
    "Huỳnh": 5,
    "Phan": 4,
    "Võ": 4,
    "Đặng": 2,
    "Bùi": 2,
    "Đỗ": 2,
    "Hồ": 1,
    "Ngô": 1,
    "Dương": 1,
    "Lý": 1,
    "Thạch": 2,
    "Kim": 2,
    "Sơn": 2,
}
"""Share in percent, roughly the national distribution; Thạch, Kim and Sơn for Trà Vinh's Khmer families."""


def generate(n: int, communes: list[str], seed: int = 2026) -> list[Person]:
    """``n`` persons named the Vietnamese way (surname, middle name, given name; Faker ``vi_VN`` given names), no two
    of the same name key, date of birth and commune (the import would take the second for the first: every row of the
    file is a new person)."""
    from faker import Faker

    from services.registry.rules.names import name_key

    fake = Faker("vi_VN")
    Faker.seed(seed)
    rng = random.Random(seed)
    surnames, weights = list(SURNAMES), list(SURNAMES.values())
    used: set[str] = set()
    seen: set[tuple[str, dt.date, str]] = set()
    out = []
    start, span = dt.date(1930, 1, 1).toordinal(), (dt.date(2020, 12, 31) - dt.date(1930, 1, 1)).days
    for _ in range(n):
        sex = rng.choice(("male", "female"))
        dob = dt.date.fromordinal(start + rng.randrange(span))
        given = fake.first_name_male() if sex == "male" else fake.first_name_female()
        middle = ("Văn" if sex == "male" else "Thị") if rng.random() < 0.5 else fake.middle_name()
        name = f"{rng.choices(surnames, weights)[0]} {middle} {given}"
        national_id = ""
        if dob.year <= 2012 and rng.random() < 0.95:  # children under 14 often have no CCCD yet
            digit = (0 if sex == "male" else 1) + (2 if dob.year >= 2000 else 0)
            while not national_id or national_id in used:
                national_id = f"{rng.choice(PROVINCES)}{digit}{dob.year % 100:02d}{rng.randrange(10**6):06d}"
            used.add(national_id)
        phone = f"09{rng.randrange(10**8):08d}" if rng.random() < 0.6 else ""
        commune = rng.choice(communes)
        while (key := (name_key(name), dob, commune)) in seen:  # about once in 50,000 persons: another given name
            given = fake.first_name_male() if sex == "male" else fake.first_name_female()
            name = f"{name.rsplit(' ', 1)[0]} {given}"
        seen.add(key)
        out.append(
            Person(
                name,
                dob,
                sex,
                national_id,
                commune,
                f"Ấp {rng.randrange(1, 12)}",
                phone,
                rng.choice(("Kinh", "Kinh", "Kinh", "Khmer", "Hoa")),
            )
        )
    return out


def to_csv(persons: list[Person]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    for i, p in enumerate(persons, 1):
        writer.writerow(
            [
                i,
                p.name,
                p.dob.strftime("%d/%m/%Y"),
                "Nam" if p.sex == "male" else "Nữ",
                p.national_id,
                p.commune,
                p.address,
                p.phone,
                p.ethnicity,
            ]
        )
    return ("\ufeff" + buffer.getvalue()).encode()


async def _db(admin: str) -> asyncpg.Connection:
    return await asyncpg.connect(database.with_database(admin, BENCH_DB))


async def _communes(admin: str) -> list[str]:
    """Communes in force today: the 2025 units (all reuse a code that has an admin_units row)."""
    conn = await _db(admin)
    try:
        return [
            r[0]
            for r in await conn.fetch(
                "SELECT DISTINCT m.new_code FROM registry.unit_mappings m "
                "JOIN registry.admin_units a ON a.code = m.new_code ORDER BY 1"
            )
        ]
    finally:
        await conn.close()


async def _outbox_drained(admin: str, limit: float = 600) -> float:
    """Seconds until the registry's outbox is empty (every event handed to the hub)."""
    conn = await _db(admin)
    start = time.monotonic()
    try:
        for _ in range(int(limit / 0.2)):
            if not await conn.fetchval("SELECT count(*) FROM registry.outbox"):
                break
            await asyncio.sleep(0.2)
        return time.monotonic() - start
    finally:
        await conn.close()


async def _copy_rate(admin: str, persons: list[Person]) -> float:
    """Rows/s of COPY of the same persons into a temporary table shaped like registry.persons (same indexes)."""
    conn = await _db(admin)
    try:
        await conn.execute("CREATE TEMP TABLE persons_copy (LIKE registry.persons INCLUDING ALL)")
        now = dt.datetime.now(dt.UTC)
        records = [
            (
                uuid.uuid4(),
                p.name,
                p.name.lower(),
                p.dob,
                p.sex,
                p.national_id or None,
                p.commune,
                "",
                "86",
                p.address,
                p.phone or None,
                p.ethnicity,
                None,
                None,
                None,
                1,
                now,
                now,
                "bench",
                "bench",
            )
            for p in persons
        ]
        columns = [
            "id",
            "full_name",
            "name_key",
            "date_of_birth",
            "sex",
            "national_id",
            "commune_code",
            "district_code",
            "province_code",
            "address_line",
            "phone",
            "ethnicity",
            "disability_level",
            "disability_certified_on",
            "hiv_status",
            "version",
            "created_at",
            "updated_at",
            "created_by",
            "updated_by",
        ]
        start = time.perf_counter()
        async with conn.transaction():
            await conn.copy_records_to_table("persons_copy", records=records, columns=columns)
        return len(records) / (time.perf_counter() - start)
    finally:
        await conn.close()


def _post(stack, auth: dict[str, str], body: bytes, kind: str = "persons") -> tuple[dict, float]:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    r = httpx.post(
        stack.url("gateway") + "/registry/imports",
        params={"kind": kind},
        content=body,
        headers={**auth, "Content-Type": "text/csv"},
        timeout=300,
    )
    elapsed = time.perf_counter() - start
    r.raise_for_status()
    return r.json(), elapsed


LAST_CPU: dict[str, float] = {}
"""CPU seconds of the last measured import (registry, gateway, PostgreSQL processes)."""


def _load(stack, admin: str, auth: dict[str, str], n: int) -> tuple[list[Person], dict, float]:  # type: ignore[no-untyped-def]
    communes = asyncio.run(_communes(admin))
    warm = generate(200, communes, seed=1)
    _post(stack, auth, to_csv(warm))  # warm-up: token caches, pools, statement caches
    persons = generate(n, communes)
    body = to_csv(persons)
    meter = CpuMeter(
        {"registry": stack.procs["registry"].pid, "gateway": stack.procs["gateway"].pid},
        asyncio.run(postmaster_pid(database.with_database(admin, BENCH_DB))),
    )
    meter.start()
    out, elapsed = _post(stack, auth, body)
    LAST_CPU.clear()
    LAST_CPU.update(meter.stop())
    assert out["imported"] + out["duplicates"] == n and out["rejected"] == 0, out
    return persons, out, elapsed


def run_import(quick: bool = False, write: bool = True) -> None:
    n = 5_000 if quick else 50_000
    with admin_url() as admin, running_stack(admin, GATEWAY_UPSTREAM_READ_TIMEOUT="900") as stack:
        auth = asyncio.run(bearer(stack, ["registry:read", "registry:write"], name="bench-registry"))
        persons, first, elapsed = _load(stack, admin, auth, n)
        size = len(to_csv(persons))
        again, again_elapsed = _post(stack, auth, to_csv(persons))
        drained = asyncio.run(_outbox_drained(admin))
        copy = asyncio.run(_copy_rate(admin, persons))
        # Another file into the registry the first one made (its events drained): what a province's next batch meets.
        more, more_elapsed = _post(stack, auth, to_csv(generate(n, asyncio.run(_communes(admin)), seed=2027)))
        assert more["imported"] + more["duplicates"] == n and more["rejected"] == 0, more
    rate, again_rate, more_rate = n / elapsed, n / again_elapsed, more["imported"] / more_elapsed
    cpu = ", ".join(f"{k} {v:.2f}" for k, v in sorted(LAST_CPU.items()))
    print(f"load {load_average()}; CPU of the import {sum(LAST_CPU.values()):.2f} s ({cpu})")
    print(
        f"import {n} persons ({size / 2**20:.1f} MiB CSV): {elapsed:.2f} s = {rate:,.0f} persons/s "
        f"(imported {first['imported']}, duplicates {first['duplicates']}); re-import {again_elapsed:.2f} s = "
        f"{again_rate:,.0f} rows/s (duplicates {again['duplicates']}); COPY {copy:,.0f} rows/s; "
        f"ratio {rate / copy:.2f}; outbox drained {drained:.1f} s after the re-import; another {n} into the registry "
        f"of the first: {more_elapsed:.2f} s = {more_rate:,.0f} persons/s (imported {more['imported']}, duplicates "
        f"{more['duplicates']}, possible duplicates {more['possible_duplicates']})"
    )
    if write and not quick:
        record(
            "registry-import",
            f"""## Registry bulk import (`bench/registry.py`, `--only registry-import`)

Measured {dt.date.today().isoformat()} on {machine()}; real processes (gateway + four services, outbox relays
on) on one PostgreSQL. One CSV of {n:,} persons ({size / 2**20:.1f} MiB; Faker `vi_VN` names, national IDs
agreeing with date of birth and sex, ~{sum(1 for p in persons if not p.national_id) * 100 // n}% without
national ID, 41 communes in force) sent as `POST /registry/imports?kind=persons` through the gateway. The
time is the whole request: upload, parse, every row checked (the rules of `PersonCreate` and the national-ID rule,
communes and areas), persons + change records + `registry.person.registered.v1` outbox events inserted set-based,
commit. Target: ≥ 20,000 persons/s (issue 16; first target ≥ 5,000). Load average {load_average()}; CPU seconds of
the import: {cpu}.

| measure | result |
|---|---|
| import, {n:,} new persons | {elapsed:.2f} s = **{rate:,.0f} persons/s** |
| re-import of the same file (all {again["duplicates"]:,} rows duplicates, nothing written) | {again_elapsed:.2f} s = {again_rate:,.0f} rows/s |
| another file of {n:,} into the registry of the first ({more["imported"]:,} imported, {more["duplicates"]:,} already registered, {more["possible_duplicates"]:,} possible duplicates flagged) | {more_elapsed:.2f} s = {more_rate:,.0f} persons/s |
| PostgreSQL COPY of the same rows into a table like `registry.persons` (same indexes), same run | {copy:,.0f} rows/s |
| import ÷ COPY | **{rate / copy:.2f}** |
| outbox drained to the hub ({n:,} events, after the re-import returned) | {drained:.1f} s |
""",
        )


# --- search ---------------------------------------------------------------------------------------------------


async def _approve(stack, admin: str, auth: dict[str, str], persons: list[Person], count: int) -> int:  # type: ignore[no-untyped-def]
    """Submit applications for ``count`` persons through the import, approve them through the API (another
    client: maker-checker)."""
    chosen = [p for p in persons if p.national_id][:count]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["Số CCCD", "Diện hưởng"])
    for p in chosen:
        writer.writerow([p.national_id, "5.5a" if p.dob.year < 1966 else "5.6"])
    out, _ = _post(stack, auth, buffer.getvalue().encode(), kind="applications")
    assert out["imported"] == len(chosen), out
    checker = await bearer(stack, ["registry:read", "registry:write"], name="bench-registry")
    conn = await _db(admin)
    try:
        ids = [r[0] for r in await conn.fetch("SELECT id FROM registry.applications WHERE status = 'submitted'")]
    finally:
        await conn.close()
    body = {
        "number": "12/QĐ-UBND",
        "signed_on": "2026-01-15",
        "authority": "Chủ tịch UBND xã",
        "effective_month": "2026-02",
    }
    semaphore = asyncio.Semaphore(16)
    async with httpx.AsyncClient(base_url=stack.url("gateway"), headers=checker, timeout=30) as http:

        async def one(app_id: uuid.UUID) -> int:
            async with semaphore:
                return (await http.post(f"/registry/applications/{app_id}/approve", json=body)).status_code

        statuses = await asyncio.gather(*(one(i) for i in ids))
    return sum(s == 201 for s in statuses)


def _scenarios(persons: list[Person]) -> list[tuple[str, str, dict[str, str]]]:
    from services.registry.rules.names import name_key

    rare = persons[len(persons) // 2]
    commune = rare.commune
    return [
        ("persons: common name part, diacritics omitted", "/registry/persons", {"q": "nguyen thi", "limit": "20"}),
        ("persons: one full name, diacritics omitted", "/registry/persons", {"q": name_key(rare.name)}),
        (
            "persons: name part + commune + birth range",
            "/registry/persons",
            {"q": "van", "commune_code": commune, "born_from": "1950-01-01", "born_to": "1965-12-31", "limit": "20"},
        ),
        (
            "beneficiaries: name part + category",
            "/registry/beneficiaries",
            {"q": "nguyen", "category": "5.5a", "limit": "20"},
        ),
        (
            "beneficiaries: commune + age 60-80",
            "/registry/beneficiaries",
            {"commune_code": commune, "age_from": "60", "age_to": "80", "limit": "20"},
        ),
    ]


def run_search(quick: bool = False, write: bool = True) -> None:
    n = 5_000 if quick else 50_000
    beneficiaries = 300 if quick else 2_000
    seconds = 3 if quick else 10
    connections = 32
    results: list[tuple[str, str, int, LoadResult]] = []
    with admin_url() as admin, running_stack(admin) as stack:
        auth = asyncio.run(bearer(stack, ["registry:read", "registry:write"], name="bench-registry"))
        persons, _, _ = _load(stack, admin, auth, n)
        approved = asyncio.run(_approve(stack, admin, auth, persons, beneficiaries))
        asyncio.run(_outbox_drained(admin))  # the relay must not compete with the measurement
        for label, path, params in _scenarios(persons):
            url = stack.url("gateway") + path + "?" + urlencode(params)
            first = httpx.get(url, headers=auth, timeout=30)
            first.raise_for_status()
            wrk(url, 8, 1, auth)  # warm-up
            result = wrk(url, connections, seconds, auth)
            results.append((label, f"{path}?{urlencode(params)}", len(first.json()["items"]), result))
            print(
                f"{label:50} {result.requests_per_s:8.0f} req/s p50 {result.p50_ms:7.2f} ms "
                f"p99 {result.p99_ms:7.2f} ms items {len(first.json()['items'])} errors {result.errors}"
            )
    if write and not quick:
        record("registry-search", _search_report(results, n, approved, seconds, connections))


def _search_report(
    results: list[tuple[str, str, int, LoadResult]], n: int, approved: int, seconds: int, connections: int
) -> str:
    cell: Callable[[str], str] = lambda s: s.replace("|", "\\|")  # noqa: E731
    rows = "\n".join(
        f"| {label} | `{cell(url)}` | {items} | {r.requests_per_s:,.0f} | {r.p50_ms:.1f} / "
        f"{r.p99_ms:.1f} | {r.errors} |"
        for label, url, items, r in results
    )
    return f"""## Registry search (`bench/registry.py`, `--only registry-search`)

Measured {dt.date.today().isoformat()} on {machine()}; real processes, {n:,} persons loaded by the bulk
import, {approved:,} of them approved as beneficiaries (applications imported, approved one by one by another
client). wrk (1 thread, {connections} connections, {seconds} s per query) through the gateway; one query per
row, repeated. `items` is the size of the first page.

| query | URL | items | req/s | p50 / p99 ms | errors |
|---|---|---|---|---|---|
{rows}
"""


# --- import into a growing registry ------------------------------------------------------------------------------


async def _persons_stats(admin: str) -> str:
    conn = await _db(admin)
    try:
        row = await conn.fetchrow(
            "SELECT c.reltuples, s.last_autoanalyze IS NOT NULL OR s.last_analyze IS NOT NULL AS analyzed "
            "FROM pg_class c JOIN pg_stat_user_tables s ON s.relid = c.oid "
            "WHERE s.schemaname = 'registry' AND s.relname = 'persons'"
        )
        return f"analyzed at {row['reltuples']:,.0f} rows" if row["analyzed"] else "never analyzed"
    finally:
        await conn.close()


def run_import_scale(quick: bool = False, write: bool = True) -> None:
    """Files of 50,000 persons one after the other into the same registry (each after the events of the one before
    were handed to the hub), then one more file: does an import slow down as the registry grows?
    ``BENCH_IMPORT_FILES`` (default 6, quick 2): how many files before the last (20: a registry of 1,000,000)."""
    n, files = 50_000, int(os.environ.get("BENCH_IMPORT_FILES", 2 if quick else 6))
    rows = []
    with admin_url() as admin, running_stack(admin, GATEWAY_UPSTREAM_READ_TIMEOUT="900") as stack:
        auth = asyncio.run(bearer(stack, ["registry:read", "registry:write"], name="bench-registry"))
        communes = asyncio.run(_communes(admin))
        registered = 0
        for i, seed in enumerate([*range(100, 100 + files), 2026]):
            asyncio.run(_outbox_drained(admin))
            stats = asyncio.run(_persons_stats(admin))
            out, elapsed = _post(stack, auth, to_csv(generate(n, communes, seed=seed)))
            assert out["rejected"] == 0, out
            rate = out["imported"] / elapsed
            rows.append((i + 1, registered, stats, out["imported"], elapsed, rate))
            print(f"file {i + 1} into {registered:,} persons ({stats}): {elapsed:.2f} s = {rate:,.0f} persons/s")
            registered += out["imported"]
    if write and not quick:
        table = "\n".join(
            f"| {i} | {before:,} | {stats} | {imported:,} | {elapsed:.2f} s = **{rate:,.0f} persons/s** |"
            for i, before, stats, imported, elapsed, rate in rows
        )
        record(
            "registry-import-scale",
            f"""## Registry bulk import into a growing registry (`--only registry-import-scale`)

Measured {dt.date.today().isoformat()} on {machine()} (load average {load_average()} after); the stack and file of
the import benchmark above, {files + 1} generated files of {n:,} persons (other seeds) imported one after the other
into the same registry, each after the events of the one before were handed to the hub. "Statistics": what
PostgreSQL's planner knew of `registry.persons` when the file was sent (autovacuum analyses it on its own schedule).

| file | persons registered before | statistics | imported | time |
|---|---|---|---|---|
{table}
""",
        )
