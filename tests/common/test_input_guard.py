"""The request guard and the shared input types (common/input_guard.py, common/types.py)."""

from __future__ import annotations

import json

import httpx
import pytest
from fastapi import FastAPI, Request
from pydantic import BaseModel, TypeAdapter, ValidationError

from common.errors import install_error_handlers
from common.input_guard import InputGuard, json_problems, pairs_problems
from common.types import INT64_MAX, INT64_MIN, Int64, Month, Text


def test_json_problems_name_each_field_by_its_path():
    body = json.dumps(
        {"a": "ok", "b": ["x", "y\u0000"], "c": {"d": 2**63, "e": INT64_MAX, "f": INT64_MIN}, "g": 1.5, "h": True}
    ).encode()
    assert [e["field"] for e in json_problems(body)] == ["body.b.1", "body.c.d"]
    assert [e["field"] for e in json_problems(b'{"name": "Lan\\udfff"}')] == ["body.name"]
    assert json_problems(b'{"name": "\\ud83c\\udfe0", "n": 1234567890123456789}') == []  # a pair; fits
    assert json_problems(b'{"x": "\\u0000" ') == []  # not JSON: the route says so itself
    assert json_problems(b'{"a\\u0000": 1}')[0]["reason"].startswith("a member name")


def test_query_and_form_pairs():
    assert pairs_problems(
        [("q", "a\x00"), ("after", str(2**64)), ("limit", "-9223372036854775808"), ("code", "0000000000000000000001")],
        "query",
    ) == [
        {"field": "query.q", "reason": "must not contain a NUL character (\\u0000)"},
        {"field": "query.after", "reason": f"must be an integer between {INT64_MIN} and {INT64_MAX} (64 bits)"},
    ]


class Body(BaseModel):
    name: str


@pytest.fixture
def app():
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/echo")
    async def echo(body: Body, request: Request) -> dict[str, str]:
        return {"name": body.name, "raw": (await request.body()).decode()}

    return InputGuard(app)


async def test_the_guard_passes_good_bodies_on_unchanged_and_refuses_bad_ones(app):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        raw = '{"name": "Nguyễn \\ud83c\\udfe0", "id": 12345678901234567890}'
        r = await http.post("/echo", content=raw.encode(), headers={"Content-Type": "application/json"})
        assert r.status_code == 422 and r.json()["errors"] == [
            {"field": "body.id", "reason": f"must be an integer between {INT64_MIN} and {INT64_MAX} (64 bits)"}
        ]
        raw = '{"name": "Nguyễn \\ud83c\\udfe0", "id": 1234567890123456789}'
        r = await http.post("/echo", content=raw.encode(), headers={"Content-Type": "application/json"})
        assert r.status_code == 200 and r.json() == {"name": "Nguyễn \U0001f3e0", "raw": raw}
        r = await http.post("/echo", json={"name": "a\u0000"})
        assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
        assert r.json()["type"].endswith("/validation-failed") and r.json()["errors"][0]["field"] == "body.name"
        r = await http.post("/echo", params={"x": "\u0000"}, json={"name": "a"})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.x"


def test_the_types():
    assert TypeAdapter(Text).validate_python("Lan") == "Lan"
    for bad in ("a\x00", "a\ud800"):
        with pytest.raises(ValidationError):
            TypeAdapter(Text).validate_python(bad)
    assert TypeAdapter(Int64).validate_python(INT64_MAX) == INT64_MAX
    with pytest.raises(ValidationError):
        TypeAdapter(Int64).validate_python(INT64_MAX + 1)
    assert TypeAdapter(Month).validate_python("2026-03") == "2026-03"
    for bad in ("0000-01", "2026-13", "2101-01", "1899-12", "26-03"):
        with pytest.raises(ValidationError):
            TypeAdapter(Month).validate_python(bad)
