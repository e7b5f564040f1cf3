"""Request patterns live once, in ``common/`` (docs/architecture.md, "Adding a service or a feature"); these guards
stop a service from writing them out again:

- the ``Idempotency-Key`` block: ``IDEMPOTENCY.respond(…)``, never ``begin``/``finish`` in a route;
- "visible or 404" and the area check: ``common.areas.visible_or_404`` / ``sees``, never
  ``may_see_area(x.commune_code, x.district_code, x.province_code)`` spelled out;
- the area columns: ``common.areas.AreaColumns``, never the three columns declared again in a model;
- keyset pages: ``common.pagination.page_of`` / ``cursor_if_full``, never ``encode_cursor`` in a service;
- ``X-Purpose``: ``common.auth.purpose_header`` / ``stated_purpose``, never the header or its 422 written again.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AREA = ("commune_code", "district_code", "province_code")

# Where a pattern's own parts may appear, and why.
IDEMPOTENCY_PARTS = {"services/child_protection/idempotent.py"}  # stores only the record's id (secret contents)
OWN_AREA_COLUMNS = {("services/child_protection/models.py", "Unit")}  # the units table itself, not a placed record
OWN_CURSORS = {"services/child_protection/changes/service.py"}  # a position feed: a cursor on every page


def _service_files(root: Path) -> list[tuple[str, ast.Module]]:
    return [
        (str(path.relative_to(root)), ast.parse(path.read_text(), str(path)))
        for path in sorted((root / "services").rglob("*.py"))
        if "migrations" not in path.parts
    ]


def _name(node: ast.expr) -> str | None:
    return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None


def copies(root: Path = ROOT) -> list[str]:
    found = []
    for where, tree in _service_files(root):
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = _name(node.func)
                owner = _name(node.func.value) if isinstance(node.func, ast.Attribute) else None
                if name in ("begin", "finish") and owner == "IDEMPOTENCY" and where not in IDEMPOTENCY_PARTS:
                    found.append(f"{where}:{node.lineno}: IDEMPOTENCY.{name}: use IDEMPOTENCY.respond")
                if (
                    name in ("may_see_area", "may_see")
                    and len(node.args) == 3
                    and all(isinstance(a, ast.Attribute) for a in node.args)
                    and sorted(a.attr for a in node.args if isinstance(a, ast.Attribute)) == sorted(AREA)
                ):
                    found.append(f"{where}:{node.lineno}: area check spelled out: use common.areas")
                if name == "encode_cursor" and where not in OWN_CURSORS:
                    found.append(f"{where}:{node.lineno}: encode_cursor: use common.pagination.page_of")
                if name == "Header" and any(
                    k.arg == "alias" and isinstance(k.value, ast.Constant) and str(k.value.value).lower() == "x-purpose"
                    for k in node.keywords
                ):
                    found.append(f"{where}:{node.lineno}: X-Purpose header: use common.auth.purpose_header")
            elif isinstance(node, ast.Constant) and node.value == "header.x-purpose":
                found.append(f"{where}:{node.lineno}: X-Purpose check: use common.auth.stated_purpose")
            elif isinstance(node, ast.ClassDef) and (where, node.name) not in OWN_AREA_COLUMNS:
                own = {
                    s.target.id
                    for s in node.body
                    if isinstance(s, ast.AnnAssign)
                    and isinstance(s.target, ast.Name)
                    and ast.unparse(s.annotation).startswith("Mapped")
                }
                if set(AREA) <= own:
                    found.append(f"{where}:{node.lineno}: {node.name} declares the area columns: use AreaColumns")
    return sorted(found)


def test_services_do_not_copy_the_shared_request_patterns():
    assert copies() == []


def test_the_guard_catches_each_copy(tmp_path):
    feature = tmp_path / "services" / "x" / "f"
    feature.mkdir(parents=True)
    (feature / "router.py").write_text(
        "async def create(session, principal, request):\n"
        "    claim = await IDEMPOTENCY.begin(session, principal, request)\n"
        "    await IDEMPOTENCY.finish(session, claim, 201, {}, {})\n"
        "    if row is None or not principal.may_see_area(row.commune_code, row.district_code, row.province_code):\n"
        "        raise NotFound('no row')\n"
        "    purpose: Annotated[str | None, Header(alias='X-Purpose')] = None\n"
        "    raise ValidationFailed([{'field': 'header.x-purpose', 'reason': 'required'}])\n"
        "    return encode_cursor([row.id])\n"
    )
    (tmp_path / "services" / "x" / "models.py").write_text(
        "class Thing(Base):\n"
        "    commune_code: Mapped[str] = mapped_column(Text)\n"
        "    district_code: Mapped[str] = mapped_column(Text)\n"
        "    province_code: Mapped[str] = mapped_column(Text)\n"
    )
    found = copies(tmp_path)
    assert found == [
        "services/x/f/router.py:2: IDEMPOTENCY.begin: use IDEMPOTENCY.respond",
        "services/x/f/router.py:3: IDEMPOTENCY.finish: use IDEMPOTENCY.respond",
        "services/x/f/router.py:4: area check spelled out: use common.areas",
        "services/x/f/router.py:6: X-Purpose header: use common.auth.purpose_header",
        "services/x/f/router.py:7: X-Purpose check: use common.auth.stated_purpose",
        "services/x/f/router.py:8: encode_cursor: use common.pagination.page_of",
        "services/x/models.py:1: Thing declares the area columns: use AreaColumns",
    ]
