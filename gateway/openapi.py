"""One API document for partners: the gateway's own routes plus every service's, under their prefixes."""

from __future__ import annotations

import copy
from typing import Any

from common.auth import SCOPES
from common.openapi import PROBLEM, PROBLEM_FIELD, add_problem_responses
from common.settings import public_prefix

_SERVICE_TITLES = {
    "registry": "Registry",
    "payments": "Payments",
    "insurance": "Insurance",
    "child_protection": "Child protection",
}


_SHARED_SCHEMAS = frozenset({PROBLEM, PROBLEM_FIELD})
"""Schemas of the common kit: every service has the same, so the merged document keeps one copy."""
_REF = "#/components/schemas/"


def schema_prefix(service: str) -> str:
    """``child_protection`` → ``ChildProtection``: what a service's schema names start with when merged."""
    return "".join(word.capitalize() for word in service.split("_"))


def _rename_refs(node: Any, names: dict[str, str]) -> Any:
    """A copy of ``node`` with every ``#/components/schemas/X`` reference renamed to ``names[X]``."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith(_REF):
                name = value[len(_REF) :]
                value = _REF + names.get(name, name)
            out[key] = _rename_refs(value, names)
        return out
    if isinstance(node, list):
        return [_rename_refs(item, names) for item in node]
    return node


def _service_names(service: str, own: dict[str, Any], taken: dict[str, Any]) -> dict[str, str]:
    """Unique merged names for a service's schemas: ``registry`` ``Person`` → ``RegistryPerson``."""
    names = {}
    for name, schema in own.items():
        if name in _SHARED_SCHEMAS and taken.get(name) == schema:
            names[name] = name
            continue
        merged = candidate = schema_prefix(service) + name
        n = 2
        while candidate in taken or candidate in names.values():
            candidate = f"{merged}{n}"
            n += 1
        names[name] = candidate
    return names


def _gateway_statuses(operation: dict[str, Any]) -> list[int]:
    """What the gateway itself may answer on a proxied operation, before or instead of the service."""
    statuses = [502, 504]
    if "401" in operation.get("responses", {}):
        statuses.append(429)  # rate limits apply to token holders
    if "requestBody" in operation:
        statuses.append(413)
    return statuses


def merge(gateway_doc: dict[str, Any], services: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The gateway's own document plus each service's paths under its prefix, with unique schema names
    (``RegistryPerson``), operation ids (``registry.persons.register``) and the gateway's own statuses."""
    doc = copy.deepcopy(gateway_doc)
    paths: dict[str, Any] = doc.setdefault("paths", {})
    schemas: dict[str, Any] = doc.setdefault("components", {}).setdefault("schemas", {})
    tags = [{"name": "authentication", "description": "OAuth2 client credentials and signing keys"}]
    for service, service_doc in services.items():
        prefix = public_prefix(service)
        tag = _SERVICE_TITLES.get(service, service)
        tags.append({"name": tag, "description": service_doc.get("info", {}).get("description", "")})
        own = service_doc.get("components", {}).get("schemas", {})
        names = _service_names(service, own, schemas)
        for path, item in _rename_refs(service_doc.get("paths", {}), names).items():
            for method, op in item.items():
                if not isinstance(op, dict) or method.startswith("x-") or method == "parameters":
                    continue
                op["tags"] = [tag]
                op_id = op.get("operationId")
                if op_id and not op_id.startswith(f"{service}."):
                    op["operationId"] = f"{service}.{op_id}"
                add_problem_responses(op, _gateway_statuses(op))
            paths[prefix + path] = item
        for name, schema in _rename_refs(own, names).items():
            if isinstance(schema, dict) and "title" in schema:
                schema["title"] = names[name]  # client generators name their classes after the title
            schemas[names[name]] = schema
    doc["components"]["schemas"] = dict(sorted(schemas.items()))
    doc["components"]["securitySchemes"] = {
        "OAuth2": {
            "type": "oauth2",
            "description": "Client credentials: POST /auth/token, then send `Authorization: Bearer <token>`.",
            "flows": {"clientCredentials": {"tokenUrl": "/auth/token", "scopes": dict(SCOPES)}},
        }
    }
    doc["tags"] = tags
    doc["info"]["description"] = (doc["info"].get("description") or "") + (
        "\n\nAll services' routes are listed here under their public prefix. Missing a service? "
        "It was unreachable when the gateway last read its document (every "
        "30 s by default)."
        if len(services) < len(_SERVICE_TITLES)
        else ""
    )
    return doc
