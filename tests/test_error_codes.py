"""Error codes are types (docs/architecture.md, "Errors"): a problem's ``code`` is named once, by a class.

- No raise site passes ``code="…"`` to an error: it raises the feature's class from its ``exceptions.py`` (or a
  shared one from ``common``), so the code, the docs and the tests name the same thing.
- Every problem code docs/partners.md names exists as a class, and every class's code is in docs/partners.md,
  so partners can switch on every ``type`` we send and never on one we do not.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("common", "gateway", "services")
BASE = "AnSinhError"


def _sources(root: Path) -> list[tuple[Path, ast.Module]]:
    return [
        (path, ast.parse(path.read_text(), str(path)))
        for package in PACKAGES
        if (root / package).is_dir()
        for path in sorted((root / package).rglob("*.py"))
        if "migrations" not in path.parts
    ]


def error_classes(root: Path = ROOT) -> dict[str, str | None]:
    """Name → problem code (None when the class inherits its parent's) of every ``AnSinhError`` subclass.

    Classes are matched by name (a repository's ``DuplicateNationalId(Exception)`` is not the feature's error of
    the same name: each definition is judged by its own bases)."""
    definitions = []  # (where, name, parent names, own code)
    for path, tree in _sources(root):
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                parents = [
                    b.id if isinstance(b, ast.Name) else b.attr
                    for b in node.bases
                    if isinstance(b, ast.Name | ast.Attribute)
                ]
                definitions.append((f"{path}:{node.lineno}", node.name, parents, _own_code(node)))
    errors: dict[str, str | None] = {}
    judged: set[str] = set()
    changed = True
    while changed:
        changed = False
        for where, name, parents, code in definitions:
            if where not in judged and (name == BASE or any(p in errors for p in parents)):
                judged.add(where)
                errors[name] = code if name not in errors or code else errors[name]
                changed = True
    return errors


def _own_code(node: ast.ClassDef) -> str | None:
    for stmt in node.body:
        if (
            isinstance(stmt, ast.AnnAssign)
            and isinstance(stmt.target, ast.Name)
            and stmt.target.id == "code"
            and isinstance(stmt.value, ast.Constant)
        ):
            return str(stmt.value.value)
        if not isinstance(stmt, ast.Assign):
            continue
        for target in stmt.targets:
            if isinstance(target, ast.Name) and target.id == "code" and isinstance(stmt.value, ast.Constant):
                return str(stmt.value.value)
            if isinstance(target, ast.Tuple) and isinstance(stmt.value, ast.Tuple):  # status, code, title = …
                for t, v in zip(target.elts, stmt.value.elts, strict=False):
                    if isinstance(t, ast.Name) and t.id == "code" and isinstance(v, ast.Constant):
                        return str(v.value)
    return None


def bare_codes(root: Path = ROOT) -> list[str]:
    """Calls of an error class with a ``code=`` argument (the error tree's own renderer excepted)."""
    errors = error_classes(root)
    found = []
    for path, tree in _sources(root):
        if path == root / "common" / "errors.py":
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = (
                node.func.id
                if isinstance(node.func, ast.Name)
                else node.func.attr
                if isinstance(node.func, ast.Attribute)
                else None
            )
            if name in errors and any(k.arg == "code" for k in node.keywords):
                found.append(f"{path.relative_to(root)}:{node.lineno}: {name}(…, code=…)")
    return found


def test_no_raise_site_passes_a_bare_code_string():
    assert bare_codes() == []


def test_the_bare_code_guard_catches_one(tmp_path):
    (tmp_path / "services" / "x").mkdir(parents=True)
    (tmp_path / "common").mkdir()
    (tmp_path / "common" / "errors.py").write_text(
        "class AnSinhError(Exception):\n    code = 'internal'\n\nclass Conflict(AnSinhError):\n    code = 'conflict'\n"
    )
    (tmp_path / "services" / "x" / "service.py").write_text(
        "from common.errors import Conflict\n\ndef f():\n    raise Conflict('no', code='payroll-state')\n"
    )
    assert bare_codes(tmp_path) == ["services/x/service.py:4: Conflict(…, code=…)"]


# A row of a table of problems: "| 409 | `code`, `code` | …" (the token endpoint's has the OAuth2 error first).
_TABLE_ROW = re.compile(r"^\|\s*\d{3}(?:\s*/\s*\d{3})*\s*\|([^|]*)\|([^|]*)\|")
_INLINE = re.compile(r"`?\b[45]\d\d\b`?\*{0,2}\s+`([a-z][a-z0-9-]*)`")
_TYPE_URI = re.compile(r"ansinh\.gov\.vn/problems/([a-z][a-z0-9-]*)")
_CODE = re.compile(r"`([a-z][a-z0-9]*(?:-[a-z0-9]+)*)`")


def codes_in_partners_doc(text: str) -> set[str]:
    """Problem codes the partners' document names: in its tables of problems, after a status, in ``type`` URIs."""
    found = set(_INLINE.findall(text)) | set(_TYPE_URI.findall(text))
    for line in text.splitlines():
        row = _TABLE_ROW.match(line)
        if row:
            found.update(_CODE.findall(row.group(1)))
            if "_" in row.group(1):  # | 400 | `invalid_request` | `invalid-request` | …
                found.update(_CODE.findall(row.group(2)))
    return found


PARTNERS = ROOT / "docs" / "partners.md"


def test_every_code_in_the_partners_document_is_a_class():
    known = {code for code in error_classes().values() if code}
    assert sorted(codes_in_partners_doc(PARTNERS.read_text()) - known) == []


def test_every_class_code_is_in_the_partners_document():
    text = PARTNERS.read_text()
    missing = sorted(
        {
            code
            for code in error_classes().values()
            if code and f"`{code}`" not in text and f"problems/{code}" not in text and f"…/{code}" not in text
        }
    )
    assert missing == []


def test_the_document_guard_reads_tables_statuses_and_types():
    text = (
        "| 409 | `payroll-state`, `payroll-order` | the `state` |\n"
        "| 400 | `invalid_scope` | `invalid-scope` | … |\n"
        "answers `409` `person-merged`; see https://ansinh.gov.vn/problems/gift-exists; `GET …/history`\n"
    )
    assert codes_in_partners_doc(text) == {
        "payroll-state",
        "payroll-order",
        "invalid-scope",
        "person-merged",
        "gift-exists",
    }
