"""``ansinh`` — the command line of the platform.

ansinh up        set up the database (embedded unless ANSINH_DATABASE_URL is set) and run everything
ansinh migrate   bring every schema to head
ansinh serve X   run one component (gateway, registry, payments, insurance, child_protection)
"""

from __future__ import annotations

import asyncio
import importlib
from pathlib import Path
from typing import Annotated, Any

import typer

from common import clock
from common.settings import SERVICES

from . import backup as backups
from . import clients, database, local
from .context import admin_database, stack_config
from .events_cli import events_app
from .payments_cli import payments_app
from .report_cli import report_app
from .seed_cli import seed as seed_command
from .stack import Stack, default_ports, run_prepare, run_until_signalled

app = typer.Typer(
    help="AnSinh social-protection platform.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

app.add_typer(clients.clients_app, name="clients")
app.add_typer(clients.keys_app, name="keys")
app.add_typer(events_app, name="events")
app.add_typer(payments_app, name="payments")
app.add_typer(report_app, name="report")
app.command("seed")(seed_command)

APP_FACTORIES = {
    "gateway": "gateway.app",
    **{name: f"services.{name}.app" for name in SERVICES},
}


@app.command()
def up() -> None:
    """Set up the database and run the gateway and the four services until Ctrl-C."""
    with admin_database() as (admin_url, dbname):
        config = stack_config(admin_url, dbname)
        typer.echo("preparing roles, schemas and migrations …")
        run_prepare(config)
        dev_secret = asyncio.run(clients.in_gateway_db(config.urls()["gateway"], clients.ensure_dev_admin))
        stack = Stack(config)
        try:
            stack.start_all(timeout=60)
        except (RuntimeError, TimeoutError) as exc:
            typer.echo(f"start-up failed: {exc}", err=True)
            stack.stop()
            raise typer.Exit(1) from exc
        gw = stack.url("gateway")
        typer.echo(
            f"\nAnSinh is up.  Gateway: {gw}   API docs: {gw}/docs\n"
            + "".join(f"  {name:<17} {stack.url(name)}\n" for name in SERVICES)
            + f"Try: curl {gw}/registry/health\n"
            + (
                f"\nDevelopment admin client {clients.DEV_ADMIN!r} (all scopes; secret in var/secrets.json):\n"
                f"  TOKEN=$(.venv/bin/ansinh token)\n"
                f'  curl -H "Authorization: Bearer $TOKEN" {gw}/registry/metrics\n'
                if dev_secret
                else ""
            )
            + "Partner clients: ansinh clients create NAME --scopes ... --areas ...\nCtrl-C stops everything.\n"
        )
        run_until_signalled(stack)


@app.command()
def demo(
    scale: Annotated[float, typer.Option(min=0.0001, max=2.0, help="Scale of the seeded province")] = 0.02,
    seed: Annotated[int, typer.Option(help="Same seed, same province")] = 1,
) -> None:
    """`ansinh up`, then `ansinh seed --profile tra-vinh --scale 0.02` into it; runs until Ctrl-C. Started again,
    the seed finds its state in var/ and only continues what was not finished."""
    import signal

    from .seed.api import SeedError
    from .seed.run import Options
    from .seed.run import seed as run_seed
    from .seed_cli import ensure_seed_clients

    with admin_database() as (admin_url, dbname):
        config = stack_config(admin_url, dbname)
        typer.echo("preparing roles, schemas and migrations …")
        run_prepare(config)
        asyncio.run(clients.in_gateway_db(config.urls()["gateway"], clients.ensure_dev_admin))
        credentials = asyncio.run(clients.in_gateway_db(config.urls()["gateway"], ensure_seed_clients))
        stack = Stack(config)
        try:
            stack.start_all(timeout=60)
        except (RuntimeError, TimeoutError) as exc:
            typer.echo(f"start-up failed: {exc}", err=True)
            stack.stop()
            raise typer.Exit(1) from exc
        gw = stack.url("gateway")
        path = local.VAR / f"seed-{seed}.json"
        typer.echo(f"\nAnSinh is up at {gw}; seeding the Trà Vinh profile at scale {scale} (state in {path}) …")
        try:
            asyncio.run(run_seed(gw, credentials, Options(scale=scale, seed=seed), path))
        except KeyboardInterrupt:
            typer.echo("seeding interrupted: `make demo` again continues it", err=True)
            stack.stop()
            return
        except SeedError as exc:
            typer.echo(f"seeding stopped: {exc}", err=True)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        typer.echo(
            f"\nA seeded province at {gw}   API docs: {gw}/docs\n"
            f"  TOKEN=$(.venv/bin/ansinh token)\n"
            f'  curl -H "Authorization: Bearer $TOKEN" '
            f"'{gw}/registry/reports/beneficiaries?month={clock.today():%Y-%m}&units=2025'\n"
            f"  .venv/bin/ansinh report annual --year {clock.today().year} --format pdf -o bao-cao.pdf\n"
            "Ctrl-C stops everything.\n"
        )
        run_until_signalled(stack)


@app.command()
def token(
    scope: Annotated[str | None, typer.Option(help="Ask for fewer scopes (space separated)")] = None,
    gateway: Annotated[str, typer.Option(help="Gateway base URL")] = f"http://127.0.0.1:{default_ports()['gateway']}",
) -> None:
    """Print an access token for the development admin client (made by `ansinh up`)."""
    import httpx

    secret = local.load_secrets(()).get("dev_admin_secret")
    if not secret:
        typer.echo("no development admin client yet: run `ansinh up` first", err=True)
        raise typer.Exit(2)
    form = {"grant_type": "client_credentials"} | ({"scope": scope} if scope else {})
    try:
        r = httpx.post(f"{gateway}/auth/token", data=form, auth=(clients.DEV_ADMIN, secret), timeout=10)
    except httpx.TransportError as exc:
        typer.echo(f"gateway unreachable at {gateway}: is `ansinh up` running?", err=True)
        raise typer.Exit(2) from exc
    if r.status_code != 200:
        typer.echo(f"token refused ({r.status_code}): {r.text}", err=True)
        raise typer.Exit(2)
    typer.echo(r.json()["access_token"])


@app.command()
def migrate() -> None:
    """Create missing roles and schemas and bring every component's schema to head."""
    with admin_database() as (admin_url, dbname):
        config = stack_config(admin_url, dbname)
        run_prepare(config)
        typer.echo(f"migrated: {', '.join(database.COMPONENTS)} in database {dbname!r}")


@app.command()
def backup(
    out: Annotated[Path, typer.Option("--out", help="File to write (pg_dump custom format)")],
    schema: Annotated[list[str] | None, typer.Option(help="Only this component's schema (repeatable)")] = None,
) -> None:
    """Back up the whole database in one consistent snapshot (or only some schemas) to a file."""
    with admin_database(quiet=True) as (admin_url, dbname):
        try:
            asyncio.run(backups.backup(admin_url, dbname, out, schema))
        except backups.BackupError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
    typer.echo(f"backed up database {dbname!r} to {out} ({out.stat().st_size:,} bytes)")


@app.command()
def restore(
    dump: Annotated[Path, typer.Argument(help="A file written by `ansinh backup`")],
    into: Annotated[str, typer.Option("--into", help="Name of the new database to restore into")],
) -> None:
    """Restore a backup into a new database (created here, with this installation's roles), all or nothing."""
    with admin_database(quiet=True) as (admin_url, _):
        passwords = local.load_secrets(database.COMPONENTS)["db_passwords"]
        try:
            asyncio.run(backups.restore(admin_url, into, dump, passwords))
        except backups.BackupError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
    typer.echo(f"restored {dump} into database {into!r}; point ANSINH_DATABASE={into} at it to use it")


@app.command()
def serve(
    component: Annotated[str, typer.Argument(help="gateway, registry, payments, insurance or child_protection")],
) -> None:
    """Run one component with settings from its prefixed environment variables."""
    import uvicorn

    if component not in APP_FACTORIES:
        raise typer.BadParameter(f"unknown component {component!r}; choose from {', '.join(APP_FACTORIES)}")
    module = importlib.import_module(APP_FACTORIES[component])
    fastapi_app: Any = module.create_app()
    fastapi_app.state.freeze_startup_heap = True  # common.gcpause.freeze_startup_heap, once the lifespan has started
    settings = fastapi_app.state.settings
    uvicorn.run(
        fastapi_app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        loop="uvloop",
        http="httptools",
        proxy_headers=False,
        server_header=False,
    )


def main() -> None:
    app()
