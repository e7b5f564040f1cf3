"""Run the gateway and the four services as separate processes, with prefixed logs.

The same code path serves ``ansinh up`` and the end-to-end tests: prepare the database (roles, schemas,
migrations), then start one ``python -m ansinh serve <component>`` process per component, each in its
own process group so that a Ctrl-C reaches the supervisor alone and the supervisor stops them in order.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import IO, Any

import httpx

from common.events.inbox import INBOX_PATH
from common.settings import GATEWAY_PORT, SERVICES
from gateway.auth import service as auth_service
from gateway.events import repository as hub_repository
from gateway.events import service as hub_service

from . import database
from .database import in_gateway_db

START_ORDER: tuple[str, ...] = (*SERVICES, "gateway")
STOP_ORDER: tuple[str, ...] = ("gateway", *reversed(tuple(SERVICES)))


def default_ports() -> dict[str, int]:
    return {**SERVICES, "gateway": GATEWAY_PORT}


@dataclass
class StackConfig:
    admin_url: str
    database: str
    passwords: dict[str, str]
    ports: dict[str, int] = field(default_factory=default_ports)
    host: str = "127.0.0.1"
    environment: str = "development"
    extra_env: dict[str, str] = field(default_factory=dict)
    log_json: bool = True
    event_secrets: dict[str, dict[str, str]] = field(default_factory=dict)
    """Per service: ``client_secret`` (its relay's gateway client) and ``inbox_secret`` (whsec_…)."""
    service_urls: dict[str, str] = field(default_factory=dict)
    """Base URL of each service as the gateway reaches it (default: host and port here)."""

    def __post_init__(self) -> None:
        for service in SERVICES:
            self.event_secrets.setdefault(service, new_event_secrets())
            self.service_urls.setdefault(service, f"http://{self.host}:{self.ports[service]}")

    def internal_subscriptions(self) -> list[dict[str, Any]]:
        """Each service's inbox at the hub, for the event types its handlers declare."""
        return [
            {
                "name": hub_service.internal_name(s),
                "url": self.service_urls[s] + INBOX_PATH,
                "types": consumed_types(s),
                "secret": self.event_secrets[s]["inbox_secret"],
            }
            for s in SERVICES
        ]

    def urls(self) -> dict[str, str]:
        return database.component_urls(self.admin_url, self.database, self.passwords)

    def environ(self) -> dict[str, str]:
        """Environment for the child processes: each component's prefixed settings."""
        env = dict(os.environ)
        urls = self.urls()
        for component in START_ORDER:
            prefix = database.env_prefix(component)
            env[f"{prefix}DATABASE_URL"] = urls[component]
            env[f"{prefix}PORT"] = str(self.ports[component])
            env[f"{prefix}HOST"] = self.host
            env[f"{prefix}ENVIRONMENT"] = self.environment
            env[f"{prefix}LOG_JSON"] = "true" if self.log_json else "false"
            env[f"{prefix}GATEWAY_URL"] = f"http://{self.host}:{self.ports['gateway']}"
        for service in SERVICES:
            prefix = database.env_prefix(service)
            secrets_ = self.event_secrets[service]
            env[f"GATEWAY_{service.upper()}_URL"] = self.service_urls[service]
            env[f"{prefix}EVENTS_CLIENT_ID"] = service_client_id(service)
            env[f"{prefix}EVENTS_CLIENT_SECRET"] = secrets_["client_secret"]
            env[f"{prefix}EVENTS_INBOX_SECRET"] = secrets_["inbox_secret"]
            if SERVICE_READS.get(service):
                env[f"{prefix}REGISTRY_CLIENT_ID"] = service_client_id(service)
                env[f"{prefix}REGISTRY_CLIENT_SECRET"] = secrets_["client_secret"]
        env.update(self.extra_env)
        return env


async def prepare_database(config: StackConfig) -> None:
    """Roles, schemas, migrations and the services' own gateway clients: all the processes need to start."""
    await database.bootstrap(config.admin_url, config.database, config.passwords)
    await database.migrate_all_async(config.urls())

    async def service_clients_and_inboxes(session: Any) -> None:
        for service in SERVICES:
            await auth_service.ensure_service_client(
                session,
                service_client_id(service),
                config.event_secrets[service]["client_secret"],
                ["events:publish", *SERVICE_READS.get(service, [])],
            )
        for sub in config.internal_subscriptions():
            await hub_repository.upsert_internal(session, sub["name"], sub["url"], sub["types"], sub["secret"])

    await in_gateway_db(config.urls()["gateway"], service_clients_and_inboxes)


SERVICE_READS: dict[str, list[str]] = {"insurance": ["registry:read"]}
"""Scopes a service's own client holds beyond ``events:publish``: insurance reads the identity fields of the persons
on its BHXH lists from the registry through the gateway."""


async def repair_inbox(config: StackConfig, service: str, after: int | None = None) -> hub_repository.InternalRepair:
    """``ansinh events repair``: the service's inbox subscription brought back as configured, with what it missed
    queued again (an ended one: what it has no delivery of since it was made; a missing one: the hub's whole
    history). ``after`` (a feed position) limits the replay to later events and forces one even for an active
    subscription."""
    sub = next(s for s in config.internal_subscriptions() if s["name"] == hub_service.internal_name(service))

    async def repair(session: Any) -> hub_repository.InternalRepair:
        return await hub_repository.upsert_internal(
            session, sub["name"], sub["url"], sub["types"], sub["secret"], replay_after=after, replay_if_missing=True
        )

    return await in_gateway_db(config.urls()["gateway"], repair)


def service_client_id(service: str) -> str:
    return f"svc-{service}"


def new_event_secrets() -> dict[str, str]:
    return {"client_secret": secrets.token_urlsafe(32), "inbox_secret": hub_service.new_secret()}


def service_events(service: str) -> Any:
    """A service's ``EVENTS`` with every inbox handler registered (the service template keeps them in
    ``consumers.py``, registered when imported; older services register them in ``events.py``)."""
    module = importlib.import_module(f"services.{service}.events")
    try:
        importlib.import_module(f"services.{service}.consumers")
    except ModuleNotFoundError as exc:
        if exc.name != f"services.{service}.consumers":
            raise
    return module.EVENTS


def consumed_types(service: str) -> list[str]:
    """The event types a service handles in its inbox: its internal subscription at the hub."""
    return list(service_events(service).inbox.patterns)


class Stack:
    """The running processes. ``start`` → ``wait_ready`` → … → ``stop``."""

    def __init__(self, config: StackConfig, out: IO[str] | None = None) -> None:
        self.config = config
        self.out = out or sys.stdout
        self.procs: dict[str, subprocess.Popen[str]] = {}
        self._pumps: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._width = max(len(c) for c in START_ORDER)

    def start(self, components: tuple[str, ...] = START_ORDER) -> None:
        env = self.config.environ()
        for component in components:
            self.start_one(component, env)

    def start_all(self, timeout: float = 60.0) -> None:
        """Services first, then the gateway once they answer (it reads their OpenAPI documents at start)."""
        services = tuple(SERVICES)
        self.start(services)
        self.wait_ready(timeout, services)
        self.start(("gateway",))
        self.wait_ready(timeout, ("gateway",))

    def start_one(self, component: str, env: dict[str, str] | None = None) -> None:
        proc = subprocess.Popen(
            [sys.executable, "-m", "ansinh", "serve", component],
            env=env or self.config.environ(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            bufsize=1,
            start_new_session=True,
        )
        self.procs[component] = proc
        pump = threading.Thread(target=self._pump, args=(component, proc), daemon=True)
        pump.start()
        self._pumps.append(pump)

    def _pump(self, component: str, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        label = component.ljust(self._width)
        for line in proc.stdout:
            with self._lock:
                self.out.write(f"{label} | {line}")
                self.out.flush()

    def url(self, component: str) -> str:
        return f"http://{self.config.host}:{self.config.ports[component]}"

    def wait_ready(self, timeout: float = 60.0, components: tuple[str, ...] = START_ORDER) -> None:
        """Block until every component answers ``/ready``; raise if one exits or time runs out."""
        deadline = time.monotonic() + timeout
        pending = list(components)
        with httpx.Client(timeout=2.0) as client:
            while pending:
                component = pending[0]
                proc = self.procs[component]
                if proc.poll() is not None:
                    raise RuntimeError(f"{component} exited with code {proc.returncode} during start-up")
                try:
                    if client.get(self.url(component) + "/ready").status_code == 200:
                        pending.pop(0)
                        continue
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{component} not ready after {timeout:.0f} s")
                time.sleep(0.1)

    def stop_one(self, component: str, timeout: float = 10.0) -> None:
        proc = self.procs.get(component)
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def kill(self, component: str) -> None:
        """SIGKILL: the process dies mid-work, as in a crash (no graceful shutdown)."""
        proc = self.procs[component]
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

    def stop(self) -> None:
        for component in STOP_ORDER:
            self.stop_one(component)
        for pump in self._pumps:
            pump.join(timeout=2)

    def exited(self) -> dict[str, int]:
        return {c: p.returncode for c, p in self.procs.items() if p.poll() is not None}


def run_until_signalled(stack: Stack) -> None:
    """Wait for Ctrl-C / SIGTERM, reporting any process that dies meanwhile; then stop everything."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):  # SIGHUP: the terminal was closed
        signal.signal(sig, lambda *_: stop.set())
    reported: set[str] = set()
    while not stop.wait(1.0):
        for component, code in stack.exited().items():
            if component not in reported:
                reported.add(component)
                print(f"!! {component} exited with code {code}; its routes answer 502 until restarted", flush=True)
    print("stopping AnSinh…", flush=True)
    stack.stop()


def run_prepare(config: StackConfig) -> None:
    asyncio.run(prepare_database(config))
