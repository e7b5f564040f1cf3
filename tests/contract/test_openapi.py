"""Contract: the gateway's merged /openapi.json describes what the suite answers, and partners can generate
a client from it.

The document is the real one: the four real service apps and the real gateway, in-process, the gateway
serving ``/openapi.json`` from the services' own documents exactly as it does after reading them over HTTP.
No database is touched (documents are built without the apps' lifespans).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from common.openapi import operation_id
from gateway.app import create_app as create_gateway
from gateway.openapi import schema_prefix
from gateway.settings import GatewaySettings
from services.child_protection.app import create_app as create_child_protection
from services.child_protection.settings import ChildProtectionSettings
from services.insurance.app import create_app as create_insurance
from services.insurance.settings import InsuranceSettings
from services.payments.app import create_app as create_payments
from services.payments.settings import PaymentsSettings
from services.registry.app import create_app as create_registry
from services.registry.settings import RegistrySettings

ROOT = Path(__file__).resolve().parents[2]
URL = "postgresql://nobody:unused@127.0.0.1:1/none"  # never connected to: no lifespan runs here
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


@pytest.fixture(scope="module")
async def doc() -> dict[str, Any]:
    services = {
        "registry": create_registry(RegistrySettings(database_url=URL)),
        "payments": create_payments(PaymentsSettings(database_url=URL)),
        "insurance": create_insurance(InsuranceSettings(database_url=URL)),
        "child_protection": create_child_protection(ChildProtectionSettings(database_url=URL)),
    }
    gateway = create_gateway(GatewaySettings(database_url=URL))
    for name, app in services.items():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://s") as client:
            gateway.state.upstreams.openapi[name] = (await client.get("/openapi.json")).json()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=gateway), base_url="http://gw") as client:
        r = await client.get("/openapi.json")
    assert r.status_code == 200
    return r.json()  # type: ignore[no-any-return]


def operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, op) for path, item in doc["paths"].items() for method, op in item.items() if method in METHODS
    ]


def test_operation_ids_read_as_service_resource_action_and_are_unique(doc):
    ops = operations(doc)
    ids = [op["operationId"] for _, _, op in ops]
    assert len(ids) == len(set(ids)) == len(ops) > 100
    assert all(re.fullmatch(r"[a-z_]+(\.[a-z_]+){1,2}", i) for i in ids), ids
    by_route = {(m, p): op["operationId"] for m, p, op in ops}
    assert by_route["get", "/payments/batches/{batch_id}/download"] == "payments.batches.download"
    assert by_route["post", "/registry/persons"] == "registry.persons.register"
    assert by_route["patch", "/registry/persons/{person_id}"] == "registry.persons.update"
    assert by_route["post", "/auth/token"] == "gateway.auth.token"
    assert by_route["get", "/child-protection/health"] == "child_protection.health"


def test_operation_id_drops_the_resource_word_from_the_action():
    assert operation_id("payments", "/batches/{batch_id}/download", "download_batch") == "payments.batches.download"
    assert operation_id("registry", "/beneficiaries", "search_beneficiaries") == "registry.beneficiaries.search"
    assert (
        operation_id("registry", "/households/{id}/members", "add_household_member") == "registry.households.add_member"
    )
    assert operation_id("gateway", "/.well-known/jwks.json", "jwks") == "gateway.well_known.jwks"
    assert operation_id("registry", "/health", "health") == "registry.health"


def test_every_error_is_documented_as_a_problem_document(doc):
    assert "HTTPValidationError" not in json.dumps(doc)
    problem = doc["components"]["schemas"]["Problem"]
    assert problem["required"] == ["type", "title", "status"]
    for method, path, op in operations(doc):
        for status, response in op["responses"].items():
            if int(status) >= 400:
                assert response["content"] == PROBLEM, (method, path, status)
                assert response["description"], (method, path, status)


def test_each_operation_declares_the_statuses_it_can_answer(doc):
    ops = {(m, p): set(op["responses"]) for m, p, op in operations(doc)}
    # a token route at a service, through the gateway: token, scope/area, rate limit, service down or slow
    read = ops["get", "/registry/persons/{person_id}"]
    assert {"200", "401", "403", "404", "422", "429", "502", "503", "504"} <= read
    # a write may name a missing record or meet a conflicting state; a body may not be readable
    assert {"400", "404", "409"} <= ops["post", "/registry/households"]
    assert "415" in ops["post", "/child-protection/cases/{case_id}/attachments"]  # an upload names its media types
    assert "415" not in ops["post", "/registry/households"]
    assert "422" in ops["get", "/registry/me"]  # no parameters, yet a query string may be refused
    # a body: too large at the gateway; If-Match: missing or stale
    assert {"412", "413", "428"} <= ops["patch", "/registry/persons/{person_id}"]
    assert "413" not in read
    # conflicts declared by the route itself are kept
    assert "409" in ops["post", "/payments/payrolls"]
    # public routes need no token
    assert {"401", "403", "429"}.isdisjoint(ops["get", "/registry/health"])
    assert "503" in ops["get", "/registry/ready"]
    assert "401" in ops["post", "/auth/token"] and "400" in ops["post", "/auth/token"]
    for (method, path), statuses in ops.items():
        if path.startswith(("/registry/", "/payments/", "/insurance/", "/child-protection/")):
            assert {"502", "504"} <= statuses, (method, path)
        if "{" in path:
            assert "404" in statuses, (method, path)


def test_schema_names_are_unique_per_service_and_every_reference_resolves(doc):
    schemas = doc["components"]["schemas"]
    for service in ("registry", "payments", "insurance", "child_protection"):
        assert f"{schema_prefix(service)}CanaryIn" in schemas
    assert "RegistryPersonOut" in schemas and "PersonOut" not in schemas and "CanaryIn" not in schemas
    assert all(schema.get("title", name) == name for name, schema in schemas.items())
    refs = set(re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', json.dumps(doc)))
    assert refs <= set(schemas)


def test_internal_routes_are_not_in_the_document(doc):
    assert not [p for p in doc["paths"] if p.endswith("/events/inbox")]


def client_config() -> str:
    """The openapi-python-client configuration that docs/partners.md tells partners to save."""
    text = (ROOT / "docs" / "partners.md").read_text()
    found = re.search(r"`client-config\.yaml`.*?```yaml\n(.*?)```", text, re.S)
    assert found, "docs/partners.md shows client-config.yaml"
    return found.group(1)


def test_a_partner_generates_a_client_without_any_warning(doc, tmp_path):
    (tmp_path / "openapi.json").write_text(json.dumps(doc))
    (tmp_path / "client-config.yaml").write_text(client_config())
    bin_dir = Path(sys.executable).parent
    run = subprocess.run(
        [
            str(bin_dir / "openapi-python-client"),
            "generate",
            "--path",
            "openapi.json",
            "--meta",
            "none",
            "--output-path",
            "ansinh_client",
            "--config",
            "client-config.yaml",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    assert "warning" not in output.lower() and "unable" not in output.lower(), output
    modules = {p.stem for p in (tmp_path / "ansinh_client" / "api").rglob("*.py") if p.stem != "__init__"}
    ids = {op["operationId"].replace(".", "_") for _, _, op in operations(doc)}
    assert modules == ids
    # every operation's documented body comes back typed: the response models were all generated
    read = (tmp_path / "ansinh_client" / "api" / "registry" / "registry_persons_read.py").read_text()
    assert "RegistryPersonOut" in read and "Problem" in read
    check = subprocess.run(
        [
            sys.executable,
            "-c",
            "import ansinh_client.api.payments.payments_batches_download, ansinh_client.models.registry_person_out",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stderr
