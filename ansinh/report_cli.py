"""``ansinh report annual``: the year-end report through the gateway, saved as JSON, HTML, PDF or XLSX."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import httpx
import typer

from . import local
from .stack import default_ports

report_app = typer.Typer(help="Reports composed by the gateway.", no_args_is_help=True)


@report_app.command("annual")
def annual(
    year: Annotated[int, typer.Option(help="The year reported")],
    format: Annotated[str, typer.Option(help="json, html, pdf or xlsx")] = "json",
    lang: Annotated[str, typer.Option(help="vi or en")] = "vi",
    units: Annotated[str, typer.Option(help="recorded (old districts) or 2025 (2025 communes)")] = "recorded",
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="File to write (default: standard output; pdf and xlsx need a file)"),
    ] = None,
    gateway: Annotated[str, typer.Option(help="Gateway base URL")] = f"http://127.0.0.1:{default_ports()['gateway']}",
    client_id: Annotated[str, typer.Option(help="A client with reports:read (or admin)")] = "dev-admin",
    client_secret: Annotated[
        str | None,
        typer.Option(envvar="ANSINH_CLIENT_SECRET", help="Default: the development admin's (var/secrets.json)"),
    ] = None,
) -> None:
    """Fetch `GET /reports/annual?year=…` from the gateway (the same report partners get) and save it."""
    if format in ("pdf", "xlsx") and output is None:
        typer.echo(f"{format} is binary: give --output FILE", err=True)
        raise typer.Exit(2)
    secret = client_secret or local.load_secrets(()).get("dev_admin_secret")
    if not secret:
        typer.echo("no client secret: pass --client-secret (or run `ansinh up` for the development admin)", err=True)
        raise typer.Exit(2)
    base = gateway.rstrip("/")
    try:
        with httpx.Client(timeout=120) as http:
            r = http.post(
                f"{base}/auth/token", data={"grant_type": "client_credentials"}, auth=(client_id, str(secret))
            )
            if r.status_code != 200:
                typer.echo(f"token refused ({r.status_code}): {r.text[:300]}", err=True)
                raise typer.Exit(2)
            r = http.get(
                f"{base}/reports/annual",
                headers={"Authorization": f"Bearer {r.json()['access_token']}"},
                params={"year": year, "format": format, "lang": lang, "units": units},
            )
    except httpx.HTTPError as exc:
        typer.echo(f"gateway unreachable at {base}: {exc}", err=True)
        raise typer.Exit(2) from exc
    if r.status_code != 200:
        typer.echo(f"report refused ({r.status_code}): {r.text[:500]}", err=True)
        raise typer.Exit(2)
    if output is None:
        sys.stdout.write(r.text)
    else:
        output.write_bytes(r.content)
        typer.echo(f"{output}: {len(r.content):,} bytes")
