"""``ansinh payments …``: operations on the payments service's own data."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from typing import Annotated, Any

import httpx
import jwt
import typer
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from common.events.envelope import Event
from common.settings import to_asyncpg_url

from . import local
from .context import admin_database, stack_config
from .stack import default_ports

payments_app = typer.Typer(help="The payments service's data.", no_args_is_help=True)


async def feed(http: httpx.AsyncClient, gateway: str, token: str, types: list[str]) -> AsyncIterator[Event]:
    """Every event of ``types`` in the hub's feed, oldest first (``GET /events?types=…&after=…``)."""
    after = 0
    while True:
        r = await http.get(
            f"{gateway}/events",
            params={"types": ",".join(types), "after": after, "limit": 100},
            headers={"Authorization": f"Bearer {token}"},
        )
        r.raise_for_status()
        page: dict[str, Any] = r.json()
        if not page["items"]:
            return
        for item in page["items"]:
            after = max(after, int(item.pop("position")))
            yield Event.model_validate(item)


async def rebuild(payments_url: str, gateway: str, client_id: str, secret: str) -> int:
    from services.payments.consumers import PROJECTED
    from services.payments.events import EVENTS
    from services.payments.projection import service

    engine = create_async_engine(to_asyncpg_url(payments_url))
    try:
        async with httpx.AsyncClient(timeout=30) as http:
            r = await http.post(
                f"{gateway}/auth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
            )
            if r.status_code != 200:
                raise RuntimeError(f"token refused ({r.status_code}): {r.text[:300]}")
            token = r.json()["access_token"]
            # The hub filters its feed by the client's areas: a limited client would rebuild a partial copy.
            claims = jwt.decode(token, options={"verify_signature": False})
            if claims.get("areas") and "admin" not in str(claims.get("scope", "")).split():
                raise RuntimeError(
                    f"client {client_id} is limited to areas {', '.join(claims['areas'])}: the feed "
                    "would hold only their events; use a client without areas"
                )
            async with async_sessionmaker(engine)() as session, session.begin():
                return await service.rebuild(session, EVENTS.inbox, PROJECTED, feed(http, gateway, token, PROJECTED))
    finally:
        await engine.dispose()


@payments_app.command("rebuild-projection")
def rebuild_projection(
    gateway: Annotated[str, typer.Option(help="Gateway base URL")] = f"http://127.0.0.1:{default_ports()['gateway']}",
    client_id: Annotated[str, typer.Option(help="A client with events:subscribe and registry:read")] = "dev-admin",
    client_secret: Annotated[
        str | None,
        typer.Option(envvar="ANSINH_CLIENT_SECRET", help="Default: the development admin's (var/secrets.json)"),
    ] = None,
) -> None:
    """Rebuild payments' copy of registry beneficiaries and households from the hub's event feed.

    Empties the projection and replays every `registry.beneficiary.entitlements_changed.v1` and
    `registry.household.poverty_status_changed.v1` in one transaction: the payments service keeps serving the
    old copy until the new one is committed. Payrolls, the ledger and settlements are not touched."""
    secret = client_secret or local.load_secrets(()).get("dev_admin_secret")
    if not secret:
        typer.echo("no client secret: pass --client-secret (or run `ansinh up` for the development admin)", err=True)
        raise typer.Exit(2)
    with admin_database(quiet=True) as (admin_url, dbname):
        url = os.environ.get("PAYMENTS_DATABASE_URL") or stack_config(admin_url, dbname).urls()["payments"]
        try:
            applied = asyncio.run(rebuild(url, gateway.rstrip("/"), client_id, str(secret)))
        except (httpx.HTTPError, RuntimeError) as exc:
            typer.echo(f"rebuild failed, projection unchanged: {exc}", err=True)
            raise typer.Exit(2) from exc
    typer.echo(f"projection rebuilt from {applied} events")


async def audit_findings(payments_url: str) -> list[dict[str, Any]]:
    from services.payments.audit import service

    engine = create_async_engine(to_asyncpg_url(payments_url))
    try:
        async with async_sessionmaker(engine)() as session:
            return await service.findings(session)
    finally:
        await engine.dispose()


@payments_app.command("audit")
def audit() -> None:
    """List what the safety rules would refuse among the data already recorded, one JSON object per line.

    `area`: a one-off payment or artisan enrolment whose district or province is not its commune's (the codes came
    from the client before the rule), or whose commune was no commune in force the day it was recorded; `amount`:
    above the programme's max_amount (or 2^53); `paid_on`: a result dated after the day it was reported or before its
    batch was issued. Read-only; exits 1 when there is any finding, 0 otherwise."""
    with admin_database(quiet=True) as (admin_url, dbname):
        url = os.environ.get("PAYMENTS_DATABASE_URL") or stack_config(admin_url, dbname).urls()["payments"]
        found = asyncio.run(audit_findings(url))
    for finding in found:
        typer.echo(json.dumps(finding, ensure_ascii=False))
    typer.echo(f"{len(found)} finding(s)", err=True)
    if found:
        raise typer.Exit(1)
