"""``ansinh events status``, ``ansinh events repair`` and ``ansinh events catalogue``."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine

from common.settings import SERVICES, to_asyncpg_url
from gateway.events import repository as hub_repository

from .context import admin_database, stack_config
from .database import in_gateway_db

events_app = typer.Typer(help="The event backbone: backlog, deliveries, catalogue.", no_args_is_help=True)
CATALOGUE = Path(__file__).resolve().parent.parent / "docs" / "events.md"


def _events(service: str) -> Any:
    from .stack import service_events

    return service_events(service)


async def outbox_backlog(urls: dict[str, str]) -> dict[str, int]:
    backlog = {}
    for service in SERVICES:
        engine = create_async_engine(to_asyncpg_url(urls[service]))
        try:
            async with engine.connect() as conn:
                outbox = _events(service).tables.outbox
                backlog[service] = int(await conn.scalar(select(func.count()).select_from(outbox)) or 0)
        finally:
            await engine.dispose()
    return backlog


@events_app.command()
def status() -> None:
    """Outbox backlog per service and deliveries pending/dead per subscription."""
    with admin_database(quiet=True) as (admin_url, dbname):
        config = stack_config(admin_url, dbname)
        urls = config.urls()
        backlog = asyncio.run(outbox_backlog(urls))
        subs = asyncio.run(in_gateway_db(urls["gateway"], hub_repository.status_counts))
    typer.echo("outbox backlog (events not yet at the hub):")
    for service, n in backlog.items():
        typer.echo(f"  {service:<17} {n}")
    typer.echo("subscriptions (pending / dead / delivered):")
    for s in subs:
        ended = (
            f"  ENDED {s['deleted_at']:%Y-%m-%d %H:%M:%S}: run `ansinh events repair "
            f"{s['name'].removesuffix('-inbox')}`"
            if s["deleted_at"] is not None
            else ""
        )
        typer.echo(
            f"  {s['name'] or s['id']!s:<24} {s['pending']:>6} {s['dead']:>6} {s['delivered']:>9}  {s['url']}" + ended
        )
    present = {s["name"] for s in subs if s["internal"]}
    for sub in config.internal_subscriptions():
        if sub["name"] not in present:
            typer.echo(f"  {sub['name']:<24} MISSING: run `ansinh events repair {sub['name'].removesuffix('-inbox')}`")


@events_app.command()
def repair(
    service: Annotated[str, typer.Argument(help=f"The service whose inbox to repair: {', '.join(SERVICES)}")],
    after: Annotated[
        int | None,
        typer.Option(
            help="Queue again the matching events after this feed position that the subscription has no delivery "
            "of, whatever its state (default: only what an ended subscription missed, or the hub's whole "
            "history for a missing one; the service applies each event once)"
        ),
    ] = None,
) -> None:
    """Bring back a service's inbox subscription at the hub and queue again every event it missed."""
    from .stack import repair_inbox

    if service not in SERVICES:
        typer.echo(f"error: unknown service {service!r}; choose from {', '.join(SERVICES)}", err=True)
        raise typer.Exit(2)
    with admin_database(quiet=True) as (admin_url, dbname):
        done = asyncio.run(repair_inbox(stack_config(admin_url, dbname), service, after))
    if done.found == "active":
        typer.echo(f"{done.name}: was active; {done.replayed} events queued again")
    elif done.found == "deleted":
        typer.echo(
            f"{done.name}: was ended at {done.deleted_at:%Y-%m-%d %H:%M:%S %Z}; active again, "
            f"{done.replayed} events it missed queued for delivery"
        )
    else:
        typer.echo(
            f"{done.name}: was missing; created, {done.replayed} events after position {after or 0} queued for delivery"
        )
    typer.echo(f"{service} reports ready again at its next check (GET /ready)")


def render_catalogue() -> str:
    lines = [
        "# Event catalogue",
        "",
        "Generated from the services' event catalogues by `ansinh events catalogue --write`;",
        "a test fails when this file and the code disagree.",
        "",
        "Every event is a CloudEvents 1.0 JSON envelope: `specversion`, `id` (UUID, the deduplication key),",
        "`source` (`/ansinh/<service>`), `type`, `subject` (the aggregate), `time`, `datacontenttype`,",
        "`sequence` (1, 2, … per source and subject; deliveries keep this order per subject) and `data`.",
        "",
        "The hub delivers to partners' webhooks one event per signed request. To the services' own inboxes it",
        "delivers in batches: one signed `POST /events/inbox/batch` carries up to 1000 events, each subject's in",
        "order, and the service applies the batch in one transaction (all or nothing; events it applied before are",
        "skipped). A batch that fails is sent again event by event, so one event that cannot be applied is retried",
        'and dead-lettered on its own (docs/architecture.md, "Dispatcher").',
        "",
    ]
    for service in SERVICES:
        events = _events(service)
        lines += [f"## {service}", ""]
        consumes = events.inbox.patterns
        lines += [f"Consumes: {', '.join(f'`{p}`' for p in consumes) if consumes else 'nothing yet'}.", ""]
        for entry in events.describe():
            lines += [
                f"### `{entry['type']}`",
                "",
                entry["doc"],
                "",
                "```json",
                json.dumps(entry["schema"], indent=2, ensure_ascii=False, sort_keys=True),
                "```",
                "",
            ]
    return "\n".join(lines).rstrip() + "\n"


@events_app.command()
def catalogue(write: Annotated[bool, typer.Option(help="Write docs/events.md instead of printing")] = False) -> None:
    """Print (or write) the event catalogue of every service."""
    text = render_catalogue()
    if write:
        CATALOGUE.write_text(text)
        typer.echo(f"wrote {CATALOGUE}")
    else:
        typer.echo(text, nl=False)
