"""``ansinh seed --profile tra-vinh``: fill a running suite with a province, through the gateway only."""

from __future__ import annotations

import asyncio
import re
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.auth import repository as auth_repository
from gateway.auth import service as auth_service

from . import local
from .clients import _run
from .stack import default_ports

PROFILES = ("tra-vinh",)


async def ensure_seed_clients(session: AsyncSession) -> dict[str, tuple[str, str]]:
    """The seed's four clients (officer, checker, post office, BHXH), created or given a new secret when var/
    does not hold theirs; the secrets are kept in var/secrets.json, never printed."""
    from .seed.run import ROLES

    known: dict[str, str] = dict(local.load_secrets(()).get("seed_clients") or {})
    out: dict[str, tuple[str, str]] = {}
    for role, scopes in ROLES.items():
        client_id = f"seed-{role}"
        client = await auth_repository.get_client(session, client_id)
        if client is not None and not client.revoked_at and known.get(client_id):
            out[role] = (client_id, known[client_id])
            continue
        if client is None:
            issued = await auth_service.create_client(
                session, client_id, name=f"Seed ({role})", scopes=scopes, areas=[], rate_per_second=2000, burst=4000
            )
        elif client.revoked_at:
            raise typer.BadParameter(f"client {client_id} was revoked: the seed does not bring it back")
        else:
            issued = await auth_service.rotate_secret(session, client_id)
        known[client_id] = issued.secret
        out[role] = (client_id, issued.secret)
    local.save_secret("seed_clients", known)
    return out


def _month(text: str | None) -> date | None:
    if text is None:
        return None
    if not re.fullmatch(r"\d{4}-\d{2}", text) or not 1 <= int(text[5:]) <= 12:
        raise typer.BadParameter(f"{text!r}: expected YYYY-MM")
    return date(int(text[:4]), int(text[5:]), 1)


def seed(
    profile: Annotated[str, typer.Option(help="The province to generate: tra-vinh")] = "tra-vinh",
    scale: Annotated[
        float, typer.Option(min=0.0001, max=2.0, help="1.0: the whole province (hours); 0.02: make demo's (minutes)")
    ] = 1.0,
    seed_: Annotated[int, typer.Option("--seed", min=0, help="Same seed, same province")] = 1,
    year: Annotated[int | None, typer.Option(help="The year paid (default: this year)")] = None,
    through: Annotated[str | None, typer.Option(help="Last month paid, YYYY-MM (default: this month)")] = None,
    months: Annotated[
        int | None,
        typer.Option(min=1, max=12, help="Payroll months to run, ending at --through (default: from January)"),
    ] = None,
    state: Annotated[
        Path | None,
        typer.Option(
            help="State file (default var/seed-<seed>.json): what is done; a run started again continues from it"
        ),
    ] = None,
    gateway: Annotated[str, typer.Option(help="Gateway base URL")] = f"http://127.0.0.1:{default_ports()['gateway']}",
    concurrency: Annotated[int, typer.Option(min=1, max=64, help="Requests in flight")] = 8,
) -> None:
    """Fill the running suite with a province through the public API: persons and households (imports),
    beneficiaries approved by a second client, the centre, artisans, a year of payrolls paid through the post office
    (a few percent unpaid and carried, late deaths recovered), longevity gifts, emergency relief, health-insurance
    cards (BHXH's results) and child-protection cases. Resumable after Ctrl-C; deterministic for a given --seed."""
    from .seed.api import SeedError
    from .seed.run import Options
    from .seed.run import seed as run_seed

    if profile not in PROFILES:
        raise typer.BadParameter(f"unknown profile {profile!r}; choose from {', '.join(PROFILES)}")
    credentials: Any = _run(ensure_seed_clients)
    options = Options(
        scale=scale, seed=seed_, year=year, through=_month(through), months=months, concurrency=concurrency
    )
    path = state or local.VAR / f"seed-{seed_}.json"
    try:
        outcome = asyncio.run(run_seed(gateway, credentials, options, path))
    except KeyboardInterrupt:
        typer.echo(f"\ninterrupted: run the same command again to continue (state in {path})", err=True)
        raise typer.Exit(130) from None
    except SeedError as exc:
        typer.echo(f"seed stopped: {exc}\n(state in {path}; fix the cause and run the same command again)", err=True)
        raise typer.Exit(2) from exc
    total = sum(v for k, v in outcome.timings.items() if not k.startswith("month:"))
    typer.echo(
        f"seeded {profile} at scale {scale} (seed {seed_}): {outcome.persons:,} persons, "
        f"{outcome.beneficiaries:,} beneficiaries, {outcome.calls:,} API calls this run; "
        f"{total:.0f} s over all runs"
    )
    for stage, seconds in outcome.timings.items():
        if not stage.startswith("month:"):
            typer.echo(f"  {stage:<18} {seconds:8.1f} s")
