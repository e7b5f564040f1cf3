"""Every error is an RFC 9457 problem document with a stable type, never a bare 500 with internals."""

import pytest
from fastapi import APIRouter
from pydantic import BaseModel, Field

from common.app import create_service_app
from common.errors import Conflict, RateLimited
from common.settings import ServiceSettings
from common.testing import app_client

router = APIRouter()


class Person(BaseModel):
    name: str = Field(min_length=1)
    national_id: str = Field(pattern=r"^\d{12}$")


@router.post("/persons")
async def create_person(person: Person) -> dict:
    return person.model_dump()


@router.get("/persons")
async def list_persons() -> list[dict]:
    return []


@router.get("/persons/{ref}")
async def read_person(ref: str) -> dict:
    return {"ref": ref}


@router.post("/persons/lookup")
async def lookup_person() -> dict:
    return {}


@router.get("/boom")
async def boom() -> None:
    raise RuntimeError("password=hunter2 leaked in a stack trace")


@router.get("/conflict")
async def conflict() -> None:
    raise Conflict("a person with this national ID exists", existing="/registry/persons/42")


@router.get("/slow-down")
async def slow_down() -> None:
    raise RateLimited(retry_after=7)


@pytest.fixture
async def client(test_db, minter):
    settings = ServiceSettings(database_url=test_db.urls["registry"])
    app = create_service_app("registry", settings, title="t", description="d", routers=[router])
    async with app_client(
        app, rollback=False, raise_app_exceptions=False, keys=minter, headers=minter.headers("registry:read")
    ) as c:
        yield c


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == f"https://ansinh.gov.vn/problems/{code}"
    assert body["status"] == status and body["title"]
    assert body["request_id"] == response.headers["x-request-id"]
    return body


async def test_validation_names_each_failing_field(client):
    r = await client.post("/persons", json={"name": "", "national_id": "12ab"})
    body = assert_problem(r, 422, "validation-failed")
    fields = {e["field"] for e in body["errors"]}
    assert fields == {"body.name", "body.national_id"}
    assert all(e["reason"] for e in body["errors"])


async def test_malformed_json_is_a_problem_not_a_500(client):
    r = await client.post("/persons", content=b"{not json", headers={"content-type": "application/json"})
    assert_problem(r, 422, "validation-failed")


async def test_unknown_route_and_wrong_method(client):
    assert_problem(await client.get("/nowhere"), 404, "not-found")
    r = await client.delete("/persons")
    assert_problem(r, 405, "method-not-allowed")
    assert r.headers["allow"] == "GET, POST, OPTIONS"


async def test_allow_lists_the_methods_of_every_route_on_the_path(client):
    # GET /persons and POST /persons are two routes; Starlette alone would name only the first one's method.
    r = await client.put("/persons")
    assert_problem(r, 405, "method-not-allowed")
    assert r.headers["allow"] == "GET, POST, OPTIONS"
    # /persons/lookup is a POST route of its own; GET /persons/{ref} takes the path only through a parameter
    assert (await client.delete("/persons/lookup")).headers["allow"] == "POST, OPTIONS"
    assert (await client.delete("/persons/7")).headers["allow"] == "GET, OPTIONS"


async def test_options_answers_the_allowed_methods(client):
    r = await client.options("/persons")
    assert r.status_code == 204 and r.content == b""
    assert r.headers["allow"] == "GET, POST, OPTIONS"
    assert (await client.options("/nowhere")).status_code == 404


async def test_unexpected_exception_hides_internals(client):
    r = await client.get("/boom")
    body = assert_problem(r, 500, "internal")
    assert "hunter2" not in r.text and "RuntimeError" not in r.text
    assert "request id" in body["detail"]


async def test_domain_errors_carry_status_extensions_and_headers(client):
    body = assert_problem(await client.get("/conflict"), 409, "conflict")
    assert body["existing"] == "/registry/persons/42"
    r = await client.get("/slow-down")
    assert_problem(r, 429, "rate-limited")
    assert r.headers["retry-after"] == "7"


async def test_request_id_is_kept_when_sane_and_replaced_when_not(client):
    r = await client.get("/health", headers={"x-request-id": "partner-abc-123"})
    assert r.headers["x-request-id"] == "partner-abc-123"
    r = await client.get("/health", headers={"x-request-id": "x" * 500})
    assert r.headers["x-request-id"] != "x" * 500 and len(r.headers["x-request-id"]) == 36
