"""One API document for partners: the gateway's own routes plus every service's, under their prefixes."""

from __future__ import annotations

import copy
import json
from typing import Any

from common.auth import SCOPES
from common.settings import public_prefix

_SERVICE_TITLES = {
    "registry": "Registry", "payments": "Payments", "insurance": "Insurance",
    "child_protection": "Child protection",
}


def _prefix_refs(node: Any, service: str) -> Any:
    """Rewrite ``#/components/schemas/X`` to ``#/components/schemas/<service>__X`` throughout."""
    text = json.dumps(node)
    text = text.replace('"#/components/schemas/', f'"#/components/schemas/{service}__')
    return json.loads(text)


def merge(gateway_doc: dict[str, Any], services: dict[str, dict[str, Any]]) -> dict[str, Any]:
    doc = copy.deepcopy(gateway_doc)
    paths: dict[str, Any] = doc.setdefault("paths", {})
    schemas: dict[str, Any] = doc.setdefault("components", {}).setdefault("schemas", {})
    tags = [{"name": "authentication", "description": "OAuth2 client credentials and signing keys"}]
    for service, service_doc in services.items():
        prefix = public_prefix(service)
        tag = _SERVICE_TITLES.get(service, service)
        tags.append({"name": tag, "description": service_doc.get("info", {}).get("description", "")})
        renamed = _prefix_refs(service_doc, service)
        for path, item in renamed.get("paths", {}).items():
            for op in item.values():
                if isinstance(op, dict):
                    op["tags"] = [tag]
                    if "operationId" in op:
                        op["operationId"] = f"{service}__{op['operationId']}"
            paths[prefix + path] = item
        for name, schema in renamed.get("components", {}).get("schemas", {}).items():
            schemas[f"{service}__{name}"] = schema
    doc["components"]["securitySchemes"] = {"OAuth2": {
        "type": "oauth2",
        "description": "Client credentials: POST /auth/token, then send `Authorization: Bearer <token>`.",
        "flows": {"clientCredentials": {"tokenUrl": "/auth/token", "scopes": dict(SCOPES)}},
    }}
    doc["tags"] = tags
    doc["info"]["description"] = (doc["info"].get("description") or "") + (
        "\n\nAll services' routes are listed here under their public prefix. Missing a service? "
        "It was unreachable when the gateway last read its document (every "
        "30 s by default)." if len(services) < len(_SERVICE_TITLES) else ""
    )
    return doc
