"""docs/partners.md names only routes that exist: a partner follows it literally.

Every `METHOD /path` it writes, and every path of a `curl` to the gateway, must be in the merged API document
that the gateway serves (built here in-process from each service's document, as the gateway builds it).
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any

import pytest

from common.settings import SERVICES

ROOT = Path(__file__).resolve().parents[2]
DUMMY_DB = "postgresql://nobody@127.0.0.1:1/none"  # documents are built without a database
NOT_IN_THE_DOCUMENT = {"/docs", "/openapi.json"}  # the document itself and its viewer


def settings_class(module: Any) -> Any:
    return next(
        v for k, v in vars(module).items() if k.endswith("Settings") and k != "ServiceSettings" and isinstance(v, type)
    )


@pytest.fixture(scope="module")
def merged() -> dict[str, Any]:
    services = {}
    for name in SERVICES:
        settings = settings_class(importlib.import_module(f"services.{name}.settings"))
        app = importlib.import_module(f"services.{name}.app").create_app(settings(database_url=DUMMY_DB))
        services[name] = app.openapi()
    from gateway.app import create_app
    from gateway.settings import GatewaySettings

    gateway = create_app(GatewaySettings(database_url=DUMMY_DB))
    gateway.state.upstreams.openapi = services
    return gateway.openapi()


def shape(path: str) -> str:
    """A path with its parameters made alike: /persons/{id} and /persons/{person_id} are one route."""
    return re.sub(r"\{[^}]*\}", "{}", path.split("?")[0]).rstrip("/") or "/"


def fits(named: str, route: str, prefix: bool = False) -> bool:
    """Whether a path the guide names fits a documented route ({} takes any one segment)."""
    if prefix and not named.strip("/"):  # "GET /<prefix>/me": any service's route
        return True
    a, b = named.strip("/").split("/"), route.strip("/").split("/")
    if len(a) > len(b) or (len(a) < len(b) and not prefix):
        return False
    return all(x == y or y == "{}" or x == "{}" for x, y in zip(a, b, strict=False))


def documented(doc: dict[str, Any]) -> dict[str, set[str]]:
    return {
        shape(p): {m.upper() for m in item if m in {"get", "post", "put", "patch", "delete"}}
        for p, item in doc["paths"].items()
    }


def named_in_the_guide() -> tuple[set[tuple[str, str, bool]], set[str]]:
    """(method, path, is_prefix) of every `METHOD /path`; a path followed by … or <placeholder> is a prefix."""
    text = (ROOT / "docs" / "partners.md").read_text()
    routes = {
        (m, shape(p), nxt in ("…", "<"))
        for m, p, nxt in re.findall(r"\b(GET|POST|PUT|PATCH|DELETE) (/[A-Za-z0-9_/{}.\-]*)(.?)", text)
    }
    # curl … localhost:8000/<path>: a path that ends in "/" is followed by a shell variable (…/batches/$ID)
    curls = set(re.findall(r"localhost:8000(/[A-Za-z0-9_/{}.\-]*)", text))
    return routes, curls


def test_every_route_the_partner_guide_names_is_in_the_document(merged):
    paths = documented(merged)
    routes, curls = named_in_the_guide()
    assert routes and curls
    missing = sorted(
        f"{m} {p}"
        for m, p, prefix in routes
        if p not in NOT_IN_THE_DOCUMENT and not any(m in ms and fits(p, d, prefix) for d, ms in paths.items())
    )
    assert missing == [], missing
    unknown = sorted(
        c
        for c in curls
        if shape(c) not in NOT_IN_THE_DOCUMENT and not any(fits(shape(c), d, prefix=c.endswith("/")) for d in paths)
    )
    assert unknown == [], unknown


def test_the_check_sees_a_route_that_does_not_exist(merged):
    assert ("GET", "/registry/persons/{}/horoscope") not in {(m, p) for p, ms in documented(merged).items() for m in ms}
    assert shape("/registry/persons/{person_id}?x=1") == "/registry/persons/{}"
    assert fits("/payments/programmes/electricity/parameters", "/payments/programmes/{}/parameters")
    assert not fits("/payments/programmes/electricity", "/payments/programmes/{}/parameters")
