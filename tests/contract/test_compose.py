"""Contract: docker-compose.yml, deploy/postgres-init/01-roles.sh and the code agree.

``compose_spec.json`` is the Compose Specification JSON schema vendored from the docker-compose 1.29.2
PyPI package (compose/config/compose_spec.json), licensed Apache-2.0.

The init script is executed for real, with a stub ``psql`` first on PATH that records its arguments and
the SQL it is fed, so these tests need bash but no PostgreSQL and no Docker.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from jsonschema import Draft201909Validator

from ansinh.database import COMPONENTS, env_prefix, role_name
from common.settings import SERVICES

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
INIT_SCRIPT = ROOT / "deploy" / "postgres-init" / "01-roles.sh"
COMPOSE_SPEC = Path(__file__).with_name("compose_spec.json")

SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|KEY", re.IGNORECASE)
EXPECTED_SECRETS = {
    "POSTGRES_PASSWORD",
    *(f"ANSINH_{c.upper()}_DB_PASSWORD" for c in COMPONENTS),
    *(f"ANSINH_{s.upper()}_{kind}_SECRET" for s in SERVICES for kind in ("EVENTS", "INBOX")),
    "ANSINH_INSURANCE_IDENTITY_KEY",  # the key of the national-ID digests behind the coverage check
    "ANSINH_CHILD_PROTECTION_ENCRYPTION_KEYS",
}


# --- Compose variable interpolation (${NAME}, ${NAME:?msg}, ${NAME:-default}, $NAME, $$) -------------

_REFERENCE = re.compile(r"\$(?:(?P<escaped>\$)|\{(?P<braced>[^}]*)\}|(?P<named>[A-Za-z_][A-Za-z0-9_]*))")
_BRACED = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>.*))?", re.DOTALL)


@dataclass(frozen=True)
class Reference:
    name: str
    op: str | None  # ":?", "?", ":-", "-", ":+", "+" or None for a plain reference
    arg: str


def references(value: str) -> list[Reference]:
    found = []
    for m in _REFERENCE.finditer(value):
        if m["escaped"]:
            continue
        if m["named"]:
            found.append(Reference(m["named"], None, ""))
            continue
        braced = _BRACED.fullmatch(m["braced"])
        assert braced, f"malformed variable reference ${{{m['braced']}}} in {value!r}"
        found.append(Reference(braced["name"], braced["op"], braced["arg"] or ""))
    return found


def interpolate(value: str, env: Mapping[str, str]) -> str:
    """``value`` as Compose would see it with ``env`` set (every referenced variable must be in ``env``)."""

    def substitute(m: re.Match[str]) -> str:
        if m["escaped"]:
            return "$"
        name = m["named"] or _BRACED.fullmatch(m["braced"])["name"]  # type: ignore[index]
        return env[name]

    return _REFERENCE.sub(substitute, value)


def strings(node: Any) -> Iterator[str]:
    """Every string value anywhere in the loaded file (extension fields included)."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, Mapping):
        for v in node.values():
            yield from strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from strings(v)


# --- The loaded file ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


@pytest.fixture(scope="module")
def secret_values(compose: dict[str, Any]) -> dict[str, str]:
    """A distinct stand-in value for every variable the file references."""
    names = {ref.name for s in strings(compose) for ref in references(s)}
    return {name: f"value-of-{name.lower().replace('_', '-')}" for name in names}


def command(service: Mapping[str, Any]) -> list[str]:
    cmd = service.get("command", [])
    return shlex.split(cmd) if isinstance(cmd, str) else list(cmd)


def environment(service: Mapping[str, Any], values: Mapping[str, str]) -> dict[str, str]:
    """The service's environment after interpolation (list or mapping form)."""
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: interpolate(str(v), values) for k, v in env.items() if v is not None}


def depends_on(service: Mapping[str, Any]) -> dict[str, str]:
    deps = service.get("depends_on", {})
    if isinstance(deps, list):
        return dict.fromkeys(deps, "service_started")
    return {name: spec["condition"] for name, spec in deps.items()}


@pytest.fixture(scope="module")
def app_services(services: dict[str, dict[str, Any]]) -> dict[str, str]:
    """compose service name -> component, for every service running ``ansinh serve <component>``."""
    found: dict[str, str] = {}
    for name, svc in services.items():
        cmd = command(svc)
        if cmd[:2] == ["ansinh", "serve"]:
            assert len(cmd) == 3, f"{name}: unexpected command {cmd}"
            found[name] = cmd[2]
    return found


def service_of(app_services: Mapping[str, str], component: str) -> str:
    (name,) = [n for n, c in app_services.items() if c == component]
    return name


def one_shot(svc: Mapping[str, Any]) -> bool:
    return str(svc.get("restart", "no")) == "no"


# --- Compose file ------------------------------------------------------------------------------------


def test_compose_file_is_valid_against_the_compose_specification(compose: dict[str, Any]) -> None:
    schema = json.loads(COMPOSE_SPEC.read_text())
    Draft201909Validator.check_schema(schema)
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in Draft201909Validator(schema).iter_errors(compose)
    ]
    assert errors == []
    assert "version" not in compose, "the Compose Specification has no top-level `version`"


@pytest.mark.parametrize("breakage", ["unknown service key", "unknown depends_on condition", "wrong type"])
def test_the_schema_check_is_not_vacuous(compose: dict[str, Any], breakage: str) -> None:
    broken = copy.deepcopy(compose)
    gateway = broken["services"]["gateway"]
    if breakage == "unknown service key":
        gateway["helthcheck"] = gateway["healthcheck"]
    elif breakage == "unknown depends_on condition":
        next(iter(gateway["depends_on"].values()))["condition"] = "service_ready"
    else:
        gateway["ports"] = "8000:8000"
    schema = json.loads(COMPOSE_SPEC.read_text())
    assert list(Draft201909Validator(schema).iter_errors(broken)), breakage


def test_every_component_runs_in_exactly_one_service(app_services: dict[str, str]) -> None:
    assert sorted(app_services.values()) == sorted(COMPONENTS)


def test_long_running_services_have_a_real_healthcheck(
    services: dict[str, dict[str, Any]], app_services: dict[str, str]
) -> None:
    long_running = {name for name, svc in services.items() if not one_shot(svc)}
    assert {"postgres", *app_services} <= long_running
    for name in long_running:
        hc = services[name].get("healthcheck") or {}
        assert not hc.get("disable"), f"{name}: healthcheck disabled on a long-running service"
        test = hc.get("test")
        assert test and test not in ("NONE", ["NONE"]), f"{name}: healthcheck without a test"
        if isinstance(test, list):
            assert test[0] in ("CMD", "CMD-SHELL") and len(test) > 1, f"{name}: malformed test {test}"
    assert "pg_isready" in command({"command": services["postgres"]["healthcheck"]["test"]})


def test_only_one_shot_jobs_go_without_a_healthcheck(services: dict[str, dict[str, Any]]) -> None:
    """Exemption rule: no test only for restart "no" jobs that others await by their exit code."""
    for name, svc in services.items():
        hc = svc.get("healthcheck") or {}
        if hc.get("test") and not hc.get("disable"):
            continue
        assert one_shot(svc), f"{name}: no healthcheck but not a one-shot job"
        waiting = {other: depends_on(o)[name] for other, o in services.items() if name in depends_on(o)}
        assert waiting, f"{name}: one-shot job nobody waits for"
        assert set(waiting.values()) == {"service_completed_successfully"}, waiting


def test_app_healthchecks_probe_their_own_ready_endpoint(
    services: dict[str, dict[str, Any]], app_services: dict[str, str], secret_values: dict[str, str]
) -> None:
    for name, component in app_services.items():
        svc = services[name]
        port = environment(svc, secret_values)[f"{env_prefix(component)}PORT"]
        probe = " ".join(command({"command": svc["healthcheck"]["test"]}))
        assert "urllib" in probe, f"{name}: {probe}"
        urls = re.findall(r"https?://[^\s'\"]+", probe)
        assert len(urls) == 1, f"{name}: {probe}"
        url = urlsplit(urls[0])
        assert (url.hostname, url.port, url.path) == ("127.0.0.1", int(port), "/ready"), f"{name}: {urls[0]}"


def test_each_app_service_connects_as_its_own_role(
    services: dict[str, dict[str, Any]], app_services: dict[str, str], secret_values: dict[str, str]
) -> None:
    roles = []
    for name, component in app_services.items():
        env = environment(services[name], secret_values)
        url = urlsplit(env[f"{env_prefix(component)}DATABASE_URL"])
        assert url.username == role_name(component), f"{name} connects as {url.username}"
        assert url.password == secret_values[f"ANSINH_{component.upper()}_DB_PASSWORD"], name
        assert (url.hostname, url.port, url.path) == ("postgres", 5432, "/ansinh"), name
        roles.append(url.username)
    assert len(roles) == len(set(roles)), f"a role is shared: {sorted(roles)}"


def test_passwords_are_required_and_never_defaulted(
    compose: dict[str, Any], services: dict[str, dict[str, Any]], secret_values: dict[str, str]
) -> None:
    secret_refs = [ref for s in strings(compose) for ref in references(s) if SECRET_NAME.search(ref.name)]
    assert {ref.name for ref in secret_refs} == EXPECTED_SECRETS
    for ref in secret_refs:
        assert ref.op == ":?" and ref.arg.strip(), f"${{{ref.name}}} must be written ${{{ref.name}:?message}}"
    # No literal secret anywhere: secret-named variables and passwords inside URLs come from the caller.
    stand_ins = set(secret_values.values())
    for name, svc in services.items():
        for key, value in environment(svc, secret_values).items():
            if SECRET_NAME.search(key):
                assert value in stand_ins, f"{name}: {key} is not taken from a required variable"
            if "://" in value and urlsplit(value).password is not None:
                assert urlsplit(value).password in stand_ins, f"{name}: literal password in {key}"


def test_app_containers_run_in_production_on_all_interfaces(
    services: dict[str, dict[str, Any]], app_services: dict[str, str], secret_values: dict[str, str]
) -> None:
    for name, component in app_services.items():
        env = environment(services[name], secret_values)
        prefix = env_prefix(component)
        assert env[f"{prefix}ENVIRONMENT"] == "production", name
        assert env[f"{prefix}HOST"] == "0.0.0.0", name
        assert env[f"{prefix}LOG_JSON"] == "true", name


def test_gateway_waits_for_healthy_services_and_finds_them(
    services: dict[str, dict[str, Any]], app_services: dict[str, str], secret_values: dict[str, str]
) -> None:
    gateway = services[service_of(app_services, "gateway")]
    deps = depends_on(gateway)
    env = environment(gateway, secret_values)
    for component in SERVICES:
        name = service_of(app_services, component)
        assert deps.get(name) == "service_healthy", f"gateway does not wait for {name} to be healthy"
        url = urlsplit(env[f"GATEWAY_{component.upper()}_URL"])
        port = environment(services[name], secret_values)[f"{env_prefix(component)}PORT"]
        assert (url.hostname, url.port) == (name, int(port)), f"GATEWAY_{component.upper()}_URL"


def test_start_order_postgres_then_migrate_then_apps(
    services: dict[str, dict[str, Any]], app_services: dict[str, str]
) -> None:
    migrate = [n for n, s in services.items() if command(s) == ["ansinh", "migrate"]]
    assert len(migrate) == 1
    job = services[migrate[0]]
    assert one_shot(job)
    assert depends_on(job) == {"postgres": "service_healthy"}
    for name in app_services:
        assert depends_on(services[name]).get(migrate[0]) == "service_completed_successfully", name


def test_migrate_uses_the_admin_url_and_every_role_password(
    services: dict[str, dict[str, Any]], secret_values: dict[str, str]
) -> None:
    (job,) = [s for s in services.values() if command(s) == ["ansinh", "migrate"]]
    env = environment(job, secret_values)
    admin = urlsplit(env["ANSINH_DATABASE_URL"])
    assert (admin.hostname, admin.port, admin.password) == ("postgres", 5432, secret_values["POSTGRES_PASSWORD"])
    assert env.get("ANSINH_DATABASE", "ansinh") == "ansinh"
    for c in COMPONENTS:
        assert env[f"ANSINH_{c.upper()}_DB_PASSWORD"] == secret_values[f"ANSINH_{c.upper()}_DB_PASSWORD"]


def test_only_the_tls_proxy_publishes_ports_and_the_gateway_sits_behind_it(
    services: dict[str, dict[str, Any]], app_services: dict[str, str]
) -> None:
    published = {name: svc["ports"] for name, svc in services.items() if svc.get("ports")}
    assert published == {"tls": ["443:443", "80:80"]}
    gateway = services[service_of(app_services, "gateway")]
    assert "public" not in gateway["networks"] and set(services["tls"]["networks"]) == {"edge", "data-plane", "public"}


def test_the_tls_proxy_ends_tls_with_hsts_and_redirects_plain_http() -> None:
    conf = (ROOT / "deploy" / "nginx" / "nginx.conf").read_text()
    assert "listen 443 ssl http2;" in conf and "ssl_protocols TLSv1.2 TLSv1.3;" in conf
    assert 'Strict-Transport-Security "max-age=31536000; includeSubDomains" always' in conf
    assert "return 308 https://$host$request_uri;" in conf
    assert "proxy_pass http://ansinh_gateway;" in conf


def test_the_tls_proxy_is_the_nginx_data_plane_rendered_from_the_gateway() -> None:
    from gateway import nginx

    assert (ROOT / "deploy" / "nginx" / "nginx.conf").read_text() == nginx.render(**nginx.DEPLOY)  # type: ignore[arg-type]


def test_postgres_runs_the_init_script_and_keeps_its_data(services: dict[str, dict[str, Any]]) -> None:
    volumes = [str(v).split(":") for v in services["postgres"]["volumes"]]
    mounts = {target: source for source, target, *_ in volumes}
    assert (ROOT / mounts["/docker-entrypoint-initdb.d"]).resolve() == INIT_SCRIPT.parent
    assert mounts["/var/lib/postgresql"] == "pgdata"  # postgres 18+: the parent of PGDATA


# --- Init script -------------------------------------------------------------------------------------


@dataclass
class PsqlCall:
    argv: list[str]
    sql: str

    @property
    def variables(self) -> dict[str, str]:
        out = {}
        for flag, value in zip(self.argv, self.argv[1:], strict=False):
            if flag in ("-v", "--set", "--variable"):
                key, _, val = value.partition("=")
                out[key] = val
        return out

    @property
    def dbname(self) -> str | None:
        for flag, value in zip(self.argv, self.argv[1:], strict=False):
            if flag in ("-d", "--dbname"):
                return value
        return None


def run_init_script(tmp_path: Path, env: Mapping[str, str]) -> tuple[subprocess.CompletedProcess[str], list[PsqlCall]]:
    """Run the real script with a recording stub ``psql`` first on PATH."""
    stub_dir = tmp_path / "bin"
    stub_dir.mkdir()
    log = tmp_path / "psql.jsonl"
    stub = stub_dir / "psql"
    stub.write_text(
        f"#!{sys.executable}\n"
        "import json, os, sys\n"
        "with open(os.environ['PSQL_STUB_LOG'], 'a') as f:\n"
        "    f.write(json.dumps({'argv': sys.argv[1:], 'sql': sys.stdin.read()}) + '\\n')\n"
    )
    stub.chmod(0o755)
    full_env = {"PATH": f"{stub_dir}{os.pathsep}{os.environ['PATH']}", "PSQL_STUB_LOG": str(log), **env}
    proc = subprocess.run(["bash", str(INIT_SCRIPT)], env=full_env, capture_output=True, text=True, timeout=30)
    calls = [PsqlCall(**json.loads(line)) for line in log.read_text().splitlines()] if log.exists() else []
    return proc, calls


@pytest.fixture
def postgres_env(services: dict[str, dict[str, Any]], secret_values: dict[str, str]) -> dict[str, str]:
    """The environment docker compose gives the postgres container."""
    return environment(services["postgres"], secret_values)


def test_init_script_parses() -> None:
    proc = subprocess.run(["bash", "-n", str(INIT_SCRIPT)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    # The postgres entrypoint *sources* non-executable *.sh files (its `exit` would end the entrypoint).
    assert os.access(INIT_SCRIPT, os.X_OK)


def test_init_script_creates_every_role_compose_uses_with_the_same_password(
    tmp_path: Path,
    services: dict[str, dict[str, Any]],
    app_services: dict[str, str],
    secret_values: dict[str, str],
    postgres_env: dict[str, str],
) -> None:
    proc, calls = run_init_script(tmp_path, postgres_env)
    assert proc.returncode == 0, proc.stderr
    created = {c.variables["role"]: c for c in calls if "role" in c.variables}
    for name, component in app_services.items():
        url = urlsplit(environment(services[name], secret_values)[f"{env_prefix(component)}DATABASE_URL"])
        assert url.username in created, f"{name} uses role {url.username}, which the init script never creates"
        call = created[url.username]
        # The script reads the password with \getenv from the container's environment.
        assert "\\getenv password :password_var" in call.sql
        assert postgres_env[call.variables["password_var"]] == url.password, f"{url.username}: password mismatch"
        assert call.dbname == url.path.lstrip("/"), f"{url.username}: schema made in another database"


def test_init_script_and_bootstrap_agree_on_components(tmp_path: Path, postgres_env: dict[str, str]) -> None:
    proc, calls = run_init_script(tmp_path, postgres_env)
    assert proc.returncode == 0, proc.stderr
    per_component = [c.variables for c in calls if "role" in c.variables]
    assert sorted(v["schema"] for v in per_component) == sorted(COMPONENTS)
    for v in per_component:
        assert v["role"] == role_name(v["schema"])
        assert v["database"] == "ansinh"
    sql = " ".join(" ".join(c.sql.split()) for c in calls)
    for statement in (  # what `bootstrap` in ansinh/database.py does, in psql-variable form
        "CREATE DATABASE %I ENCODING %L TEMPLATE template0",
        "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD %L",
        "REVOKE ALL ON SCHEMA public FROM PUBLIC;",
        'REVOKE CREATE, TEMPORARY ON DATABASE :"database" FROM PUBLIC;',
        'GRANT CONNECT ON DATABASE :"database" TO :"role";',
        'CREATE SCHEMA IF NOT EXISTS :"schema" AUTHORIZATION :"role";',
        'ALTER SCHEMA :"schema" OWNER TO :"role";',
        'REVOKE ALL ON SCHEMA :"schema" FROM PUBLIC;',
        'ALTER ROLE :"role" IN DATABASE :"database" SET search_path = :"schema";',
    ):
        assert statement in sql, f"init script lacks: {statement}"
    assert all("ON_ERROR_STOP=1" in c.argv for c in calls)


@pytest.mark.parametrize("component", COMPONENTS)
def test_init_script_refuses_a_missing_password(tmp_path: Path, postgres_env: dict[str, str], component: str) -> None:
    var = f"ANSINH_{component.upper()}_DB_PASSWORD"
    env = {k: v for k, v in postgres_env.items() if k != var}
    proc, calls = run_init_script(tmp_path, env)
    assert proc.returncode != 0
    assert var in proc.stderr
    assert calls == [], "psql ran although a password was missing"
