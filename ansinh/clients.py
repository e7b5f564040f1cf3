"""``ansinh clients …`` and ``ansinh keys rotate``: managing who may ask the gateway for tokens."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from common import territory
from common.auth import SCOPES
from common.errors import AnSinhError
from gateway.auth import keys
from gateway.auth import repository as auth_repository
from gateway.auth import service as auth_service
from gateway.settings import GatewaySettings

from . import local
from .context import admin_database, stack_config
from .database import in_gateway_db

T = TypeVar("T")
clients_app = typer.Typer(help="Partner and service clients (OAuth2 client credentials).", no_args_is_help=True)
keys_app = typer.Typer(help="Token-signing keys.", no_args_is_help=True)

DEV_ADMIN = "dev-admin"


def _run(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    with admin_database(quiet=True) as (admin_url, dbname):
        url = stack_config(admin_url, dbname).urls()["gateway"]
        try:
            return asyncio.run(in_gateway_db(url, work))
        except AnSinhError as exc:
            typer.echo(f"error: {exc.detail or exc.title}", err=True)
            for e in exc.extensions.get("errors", []):
                typer.echo(f"  {e['field']}: {e['reason']}", err=True)
            raise typer.Exit(2) from exc


def _split(values: list[str]) -> list[str]:
    return [v for item in values for v in item.replace(",", " ").split() if v]


def _describe(c: Any) -> dict[str, Any]:
    return {
        "client_id": c.client_id,
        "name": c.name,
        "scopes": c.scopes,
        "areas": c.areas,
        "rate_per_second": c.rate_per_second,
        "burst": c.burst,
        "revoked": c.revoked_at.isoformat() if c.revoked_at else None,
    }


def _warn_areas(client: Any) -> None:
    """Say which areas match no unit in force today (pre-2025 codes), and what reused codes cover now."""
    if "admin" in client.scopes:
        return  # an admin sees everything whatever its areas
    for message in territory.warnings(client.areas):
        typer.echo(f"warning: {message}", err=True)


@clients_app.command("create")
def create(
    client_id: Annotated[str, typer.Argument(help="e.g. vnpost-tra-vinh (lower-case, digits, . _ -)")],
    scopes: Annotated[list[str], typer.Option("--scopes", "-s", help="space/comma separated; repeatable")],
    areas: Annotated[list[str] | None, typer.Option("--areas", "-a", help="province/district/commune codes")] = None,
    name: Annotated[str | None, typer.Option(help="Human-readable name")] = None,
    rate: Annotated[int | None, typer.Option(help="Requests per second")] = None,
    burst: Annotated[int | None, typer.Option(help="Requests allowed in a burst")] = None,
) -> None:
    """Create a client and print its secret — once: it is stored only as a hash."""
    defaults = GatewaySettings.model_fields
    issued = _run(
        lambda s: auth_service.create_client(
            s,
            client_id,
            name=name,
            scopes=_split(scopes),
            areas=_split(areas or []),
            rate_per_second=rate or defaults["default_rate_per_second"].default,
            burst=burst or defaults["default_burst"].default,
        )
    )
    typer.echo(json.dumps({**_describe(issued.client), "client_secret": issued.secret}, ensure_ascii=False, indent=2))
    _warn_areas(issued.client)
    typer.echo("Keep the secret now: it cannot be shown again (use rotate-secret to replace it).", err=True)


@clients_app.command("list")
def list_() -> None:
    """List clients (never their secrets)."""
    clients = _run(auth_repository.list_clients)
    for c in clients:
        typer.echo(json.dumps(_describe(c), ensure_ascii=False))


@clients_app.command("update")
def update(
    client_id: str,
    scopes: Annotated[list[str] | None, typer.Option("--scopes", "-s", help="replace the scopes")] = None,
    areas: Annotated[
        list[str] | None, typer.Option("--areas", "-a", help="replace the areas; --areas '' for none (unrestricted)")
    ] = None,
    rate: Annotated[int | None, typer.Option(help="Requests per second")] = None,
    burst: Annotated[int | None, typer.Option(help="Requests allowed in a burst")] = None,
) -> None:
    """Change a client's scopes, areas or rate limit. Its current tokens stop working within seconds; the
    next token it gets with its secret carries the new values."""
    updated = _run(
        lambda s: auth_service.update_client(
            s,
            client_id,
            scopes=_split(scopes) if scopes is not None else None,
            areas=_split(areas) if areas is not None else None,
            rate_per_second=rate,
            burst=burst,
        )
    )
    typer.echo(json.dumps(_describe(updated.client), ensure_ascii=False, indent=2))
    if areas is not None:
        _warn_areas(updated.client)
    if updated.offered_batches:
        typer.echo(
            f"offered {updated.offered_batches} open batch(es) of its areas to its subscriptions "
            "(payments.batch.ready.v1 it had not been sent)",
            err=True,
        )


@clients_app.command("revoke")
def revoke(client_id: str) -> None:
    """Refuse new tokens to the client and void the ones it holds (within seconds everywhere)."""
    _run(lambda s: auth_service.revoke_client(s, client_id))
    typer.echo(f"revoked {client_id}")


@clients_app.command("rotate-secret")
def rotate_secret(client_id: str) -> None:
    """Give the client a new secret (printed once); the old secret and its tokens stop working."""
    issued = _run(lambda s: auth_service.rotate_secret(s, client_id))
    typer.echo(json.dumps({"client_id": client_id, "client_secret": issued.secret}, indent=2))


@clients_app.command("scopes")
def list_scopes() -> None:
    """The scopes a client may be given."""
    for scope, text in SCOPES.items():
        typer.echo(f"{scope:<24} {text}")


@keys_app.command("rotate")
def rotate_key() -> None:
    """Sign new tokens with a new key; tokens signed by the old one stay valid until they expire."""
    key = _run(keys.rotate)
    typer.echo(f"new signing key {key.kid}; gateways and services pick it up within seconds")


@keys_app.command("field-key")
def field_key() -> None:
    """Print a new key for encrypted fields (child-protection narratives), as base64url: give it a key id and
    add it to CHILD_PROTECTION_ENCRYPTION_KEYS, e.g. ``k2:<key>`` (rotation: docs/operations.md)."""
    from common.crypto import new_key

    typer.echo(new_key())


async def ensure_dev_admin(session: AsyncSession) -> str | None:
    """The development admin client's secret: the one kept in var/secrets.json, or a new one (the client is
    created, or its secret rotated, when var/ does not hold it). None if the client was revoked on purpose.
    """
    known = local.load_secrets(()).get("dev_admin_secret")
    client = await auth_repository.get_client(session, DEV_ADMIN)
    if client is not None and not client.revoked_at and known:
        return str(known)
    if client is None:
        issued = await auth_service.create_client(
            session,
            DEV_ADMIN,
            name="Development administrator",
            scopes=list(SCOPES),
            areas=[],
            rate_per_second=1000,
            burst=2000,
        )
    elif client.revoked_at:
        return None  # someone revoked it on purpose: leave it so
    else:
        issued = await auth_service.rotate_secret(session, DEV_ADMIN)
    local.save_secret("dev_admin_secret", issued.secret)
    return issued.secret
