"""`ansinh clients …` and `ansinh keys rotate` against the test database, as an operator would use them."""

import asyncio
import json

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from typer.testing import CliRunner

from ansinh import local
from ansinh.cli import app
from common.errors import Unauthorized
from common.settings import to_asyncpg_url
from gateway.auth import repository
from gateway.auth import service as auth_service


@pytest.fixture
def cli(test_db, tmp_path, monkeypatch):
    monkeypatch.setenv("ANSINH_DATABASE_URL", test_db.admin_url)
    monkeypatch.setenv("ANSINH_DATABASE", test_db.name)
    monkeypatch.setattr(local, "VAR", tmp_path)
    local.save_secret("db_passwords", test_db.passwords)
    runner = CliRunner()

    async def run(*args: str):  # in a thread: the CLI runs its own event loop
        return await asyncio.to_thread(runner.invoke, app, list(args), catch_exceptions=False)

    return run


@pytest.fixture
async def gateway_session(test_db):
    engine = create_async_engine(to_asyncpg_url(test_db.urls["gateway"]))
    yield async_sessionmaker(engine, expire_on_commit=False)
    await engine.dispose()


async def test_create_prints_secret_once_and_it_works(cli, gateway_session):
    r = await cli(
        "clients",
        "create",
        "vnpost-tra-vinh-cli",
        "--scopes",
        "payments:disburse,payments:read",
        "--areas",
        "84",
        "--rate",
        "50",
    )
    assert r.exit_code == 0, r.output
    created = json.loads(r.stdout)
    assert created["scopes"] == ["payments:disburse", "payments:read"] and created["areas"] == ["84"]
    # 84 still covers Trà Vinh's ground (old and new records), but the operator is told it is no longer in force.
    assert "warning: area 84 (Tỉnh Trà Vinh) is not a unit in force today" in r.stderr
    async with gateway_session() as session:
        client = await auth_service.authenticate(session, "vnpost-tra-vinh-cli", created["client_secret"])
        assert client.rate_per_second == 50
        assert created["client_secret"] not in client.secret_hash
    listed = (await cli("clients", "list")).stdout
    assert "vnpost-tra-vinh-cli" in listed and created["client_secret"] not in listed


async def test_rotate_and_revoke(cli, gateway_session):
    first = json.loads((await cli("clients", "create", "bhxh-cli", "--scopes", "insurance:exchange")).stdout)
    rotated = await cli("clients", "rotate-secret", "bhxh-cli")
    assert rotated.exit_code == 0
    new_secret = json.loads(rotated.stdout)["client_secret"]
    async with gateway_session() as session:
        with pytest.raises(Unauthorized):
            await auth_service.authenticate(session, "bhxh-cli", first["client_secret"])
        await auth_service.authenticate(session, "bhxh-cli", new_secret)
    assert (await cli("clients", "revoke", "bhxh-cli")).exit_code == 0
    async with gateway_session() as session:
        with pytest.raises(Unauthorized):
            await auth_service.authenticate(session, "bhxh-cli", new_secret)
        assert "bhxh-cli" in await repository.not_before_map(session)


async def test_update_moves_a_client_to_the_2025_units_and_voids_its_tokens(cli, gateway_session):
    created_r = await cli("clients", "create", "officer-cang-long-cli", "--scopes", "registry:write", "--areas", "845")
    created = json.loads(created_r.stdout)
    async with gateway_session() as session:
        before = (await repository.not_before_map(session)).get("officer-cang-long-cli", 0.0)
    assert "warning: area 845 (Huyện Cầu Kè) is a district, abolished on 2025-07-01" in created_r.stderr
    r = await cli("clients", "update", "officer-cang-long-cli", "--areas", "29266,29263", "--rate", "7")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["areas"] == ["29263", "29266"]
    # Both are communes in force; each also covers the old communes merged into it, and the operator is told so.
    assert "warning: area 29266 is today's Xã Càng Long, which since 2025-07-01 also covers 29269" in r.stderr
    assert "warning: area 29263 is today's Phường Long Đức, which since 2025-07-01 also covers 29236" in r.stderr
    assert "matches no unit in force today" not in r.stderr
    async with gateway_session() as session:
        client = await auth_service.authenticate(session, "officer-cang-long-cli", created["client_secret"])
        assert (client.areas, client.scopes, client.rate_per_second) == (["29263", "29266"], ["registry:write"], 7)
        assert (await repository.not_before_map(session))["officer-cang-long-cli"] > before
    r = await cli("clients", "update", "officer-cang-long-cli", "--areas", "29239")
    assert r.exit_code == 0 and "area 29239 (Phường 1) matches no unit in force today: it became 29242" in r.stderr
    r = await cli("clients", "update", "officer-cang-long-cli", "--scopes", "registry:reed", "--areas", "x1")
    assert r.exit_code == 2 and "unknown scope(s): registry:reed" in r.stderr and "areas" in r.stderr
    assert (await cli("clients", "update", "nobody-here", "--rate", "3")).exit_code == 2


async def test_bad_input_is_explained_not_a_traceback(cli):
    r = await cli("clients", "create", "Not Valid", "--scopes", "registry:reed")
    assert r.exit_code == 2
    assert "client_id" in r.stderr and "unknown scope(s): registry:reed" in r.stderr
    assert (await cli("clients", "revoke", "nobody-here")).exit_code == 2


async def test_keys_rotate(cli, gateway_session):
    async with gateway_session() as session, session.begin():
        before = await repository.active_key(session)
    r = await cli("keys", "rotate")
    assert r.exit_code == 0, r.output
    async with gateway_session() as session:
        after = await repository.active_key(session)
    assert after is not None and after.kid in r.stdout and (before is None or before.kid != after.kid)


async def test_events_status_shows_backlog_and_subscriptions(cli, test_db):
    from common.events.envelope import new_event
    from common.events.outbox import publish
    from services.payments.models import EVENT_TABLES

    engine = create_async_engine(to_asyncpg_url(test_db.urls["payments"]))
    async with async_sessionmaker(engine)() as session, session.begin():
        await publish(
            session,
            EVENT_TABLES,
            new_event(
                "/ansinh/payments",
                "payments.canary.v1",
                "cli-status",
                {"note": "", "published_at": "2026-01-01T00:00:00+00:00"},
            ),
        )
    await engine.dispose()
    r = await cli("events", "status")
    assert r.exit_code == 0, r.output
    payments_line = next(line for line in r.stdout.splitlines() if line.strip().startswith("payments "))
    assert int(payments_line.split()[-1]) >= 1


async def test_events_repair_brings_back_an_ended_inbox_with_what_it_missed(cli, test_db, gateway_session, monkeypatch):
    from sqlalchemy import text

    from common.events.envelope import matches, new_event
    from common.testing import free_port
    from gateway.events import repository as hub_repository

    # Where this test's payments inbox would be: nothing listens there (not a real service of anyone's).
    monkeypatch.setenv("ANSINH_PAYMENTS_URL", f"http://127.0.0.1:{free_port()}")
    first = await cli("events", "repair", "payments")
    assert first.exit_code == 0, first.output
    assert "payments-inbox: was" in first.stdout
    async with gateway_session() as s, s.begin():
        sub = await hub_repository.get_internal(s, "payments-inbox")
        assert sub is not None and sub.deleted_at is None
        await hub_repository.end_subscriptions(s, sub_id=sub.id)  # as a DELETE did before it answered 409
        kind = "registry.canary.v1"
        assert matches(kind, sub.types)  # payments consumes the registry's canaries
        await hub_repository.store_events(
            s, [{**new_event("/ansinh/registry", kind, f"cli-gap-{i}", {"n": i}), "sequence": 1} for i in range(3)]
        )
    try:
        status = await cli("events", "status")
        line = next(x for x in status.stdout.splitlines() if x.strip().startswith("payments-inbox "))
        assert "ENDED" in line and "ansinh events repair payments" in line
        r = await cli("events", "repair", "payments")
        assert r.exit_code == 0, r.output
        assert "payments-inbox: was ended at" in r.stdout and "active again, 3 events it missed queued" in r.stdout
        async with gateway_session() as s:
            queued = await s.scalar(
                text(
                    "SELECT count(*) FROM gateway.deliveries d JOIN gateway.events e ON e.id = d.event_id "
                    "WHERE d.subscription_id = :id AND d.status = 'pending' AND e.subject LIKE 'cli-gap-%'"
                ),
                {"id": sub.id},
            )
        assert queued == 3
        bad = await cli("events", "repair", "nobody")
        assert bad.exit_code == 2 and "unknown service 'nobody'" in bad.output
    finally:
        async with gateway_session() as s, s.begin():  # leave no pending deliveries to a port nobody serves
            await hub_repository.end_subscriptions(s, sub_id=sub.id)


def test_with_every_secret_in_the_environment_nothing_is_written_to_var(monkeypatch, tmp_path):
    """The containers (compose, Kubernetes) run `ansinh migrate` on a read-only root: it must write nothing."""
    from ansinh import database
    from ansinh.context import stack_config

    var = tmp_path / "var"
    monkeypatch.setattr(local, "VAR", var)
    for c in database.COMPONENTS:
        monkeypatch.setenv(f"ANSINH_{c.upper()}_DB_PASSWORD", f"pw-{c}")
    for s in ("registry", "payments", "insurance", "child_protection"):
        monkeypatch.setenv(f"ANSINH_{s.upper()}_EVENTS_SECRET", f"ev-{s}")
        monkeypatch.setenv(f"ANSINH_{s.upper()}_INBOX_SECRET", f"whsec_{s}")
    config = stack_config("postgresql://postgres@db:5432/postgres", "ansinh")
    assert config.passwords["payments"] == "pw-payments"
    assert config.event_secrets["payments"]["client_secret"] == "ev-payments"
    assert not var.exists()


async def test_payments_audit_lists_what_the_safety_rules_refuse_and_exits_1(cli, test_db):
    from sqlalchemy import text

    engine = create_async_engine(to_asyncpg_url(test_db.urls["payments"]))
    marker = "test_cli: payments audit"
    try:
        async with engine.begin() as conn:  # a payment recorded before the rule, with the client's district
            await conn.execute(
                text(
                    "INSERT INTO payments.one_off_payments (id, programme, recipient_name, commune_code, "
                    "district_code, "
                    "province_code, amount, reason, requested_by, created_by) VALUES (gen_random_uuid(), "
                    "'funeral', 'X', "
                    "'29263', '29242', '86', 5000000, 'x', :m, 'officer')"
                ),
                {"m": marker},
            )
        r = await cli("payments", "audit")
        assert r.exit_code == 1, r.output
        found = [json.loads(line) for line in r.stdout.splitlines()]
        mine = [f for f in found if f.get("commune_code") == "29263" and f.get("district_code") == "29242"]
        assert [f["kind"] for f in mine] == ["area"]
    finally:
        async with engine.begin() as conn:
            await conn.execute(text("DELETE FROM payments.one_off_payments WHERE requested_by = :m"), {"m": marker})
        await engine.dispose()
