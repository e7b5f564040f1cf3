"""Which scopes each service route needs, read from the service's own OpenAPI document.

Scopes are declared next to the routes in each service (``require("registry:read")``), which puts
them in that service's OpenAPI ``security`` requirements. The gateway loads those documents and
enforces the same scopes before forwarding, so a partner without the scope is refused at the door —
and the service checks again for itself. As in OpenAPI, ``security`` is a list of alternatives: a route that
takes any one of several scopes (``require_any(...)``) lists each as its own requirement, and one of them will do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

_PARAM = re.compile(r"\{([^}/]+)\}")
_PATH_PARAM = re.compile(r"\{([^}/]+):path\}")


Alternatives = tuple[frozenset[str], ...]
"""A route's scope sets, any one of which opens it (OpenAPI ``security``); none at all: any valid token."""


@dataclass
class RouteTable:
    """(method, path) → the route's scope alternatives for one service; ``None`` when no route matches."""

    static: dict[tuple[str, str], Alternatives] = field(default_factory=dict)
    templated: list[tuple[str, re.Pattern[str], Alternatives]] = field(default_factory=list)
    methods: list[tuple[re.Pattern[str], int, str]] = field(default_factory=list)
    """(path regex, number of path parameters, method) of every operation, for ``Allow``."""

    @classmethod
    def from_openapi(cls, doc: dict[str, Any]) -> RouteTable:
        table = cls()
        for path, item in doc.get("paths", {}).items():
            for method, op in item.items():
                if method.startswith("x-") or not isinstance(op, dict):
                    continue
                scopes: Alternatives = tuple(
                    frozenset(scope for needed in requirement.values() for scope in needed)
                    for requirement in op.get("security", []) or []
                )
                key = method.upper()
                pattern = _PATH_PARAM.sub(r"(?P<\1>.+)", re.escape(path).replace(r"\{", "{").replace(r"\}", "}"))
                pattern = _PARAM.sub(r"(?P<\1>[^/]+)", pattern)
                compiled = re.compile(f"^{pattern}$")
                table.methods.append((compiled, compiled.groups, key))
                if "{" in path:
                    table.templated.append((key, compiled, scopes))
                else:
                    table.static[(key, path)] = scopes
        table._lookup = lru_cache(maxsize=4096)(table._find)  # type: ignore[attr-defined]
        return table

    def required(self, method: str, path: str) -> Alternatives | None:
        if method == "HEAD":
            method = "GET"
        return self._lookup(method, path)  # type: ignore[attr-defined,no-any-return]

    def _find(self, method: str, path: str) -> Alternatives | None:
        hit = self.static.get((method, path))
        if hit is not None:
            return hit
        for m, pattern, scopes in self.templated:
            if m == method and pattern.match(path):
                return scopes
        return None

    def allowed(self, path: str) -> list[str]:
        """The documented methods of ``path`` (its own routes, not those that take it through a parameter)."""
        matching = [(params, method) for pattern, params, method in self.methods if pattern.match(path)]
        fewest = min((params for params, _ in matching), default=0)
        found = {method for params, method in matching if params == fewest}
        return [m for m in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE") if m in found]
