"""docs/architecture.md's boundaries: common/ imports no service or gateway; services never import each other."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ["registry", "payments", "insurance", "child_protection"]


def imported_modules(package: Path) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in package.rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
        found[str(path.relative_to(ROOT))] = names
    return found


def offenders(package: Path, forbidden: list[str]) -> list[str]:
    return sorted(
        f"{file} imports {name}"
        for file, names in imported_modules(package).items()
        for name in names
        if any(name == f or name.startswith(f + ".") for f in forbidden)
    )


def test_common_imports_no_service_gateway_or_cli():
    assert offenders(ROOT / "common", ["services", "gateway", "ansinh"]) == []


@pytest.mark.parametrize("service", SERVICES)
def test_services_do_not_import_each_other_or_the_gateway(service):
    others = [f"services.{s}" for s in SERVICES if s != service] + ["gateway", "ansinh"]
    assert offenders(ROOT / "services" / service, others) == []


def test_gateway_imports_no_service():
    assert offenders(ROOT / "gateway", ["services", "ansinh"]) == []


def test_the_guard_itself_catches_a_violation(tmp_path):
    bad = tmp_path / "pkg"
    bad.mkdir()
    (bad / "m.py").write_text("from services.payments.models import Base\n")
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        assert offenders(bad, ["services.payments"]) == ["pkg/m.py imports services.payments.models"]
    finally:
        ROOT = saved


SERVER_CLOCK = ("date.today(", "datetime.now()", "datetime.utcnow(", "datetime.today(")


def server_clock_calls(package: Path) -> list[str]:
    """Lines that read the server's clock instead of ``common.clock`` (Viet Nam time)."""
    found = []
    for path in package.rglob("*.py"):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#", 1)[0]
            if any(call in code for call in SERVER_CLOCK):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    return found


@pytest.mark.parametrize("package", ["services", "gateway"])
def test_business_dates_come_from_the_vietnam_clock(package):
    assert server_clock_calls(ROOT / package) == []


def test_the_clock_guard_catches_date_today(tmp_path):
    global ROOT
    (tmp_path / "m.py").write_text("from datetime import date\nx = date.today()\n")
    saved, ROOT = ROOT, tmp_path
    try:
        assert server_clock_calls(tmp_path) == ["m.py:2: x = date.today()"]
    finally:
        ROOT = saved


def raw_spreadsheet_writers(package: Path) -> list[str]:
    """CSV/XLSX writers that bypass ``common.tabular`` (whose writers escape formula-like text)."""
    found = []
    for path in package.rglob("*.py"):
        text = path.read_text()
        if "import csv" not in text and "openpyxl" not in text:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            code = line.split("#", 1)[0]
            if ("csv.writer(" in code or "csv.DictWriter(" in code
                    or ("sheet.append(" in code and "xlsx_row(" not in code)):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    return found


@pytest.mark.parametrize("package", ["services", "gateway", "ansinh"])
def test_spreadsheets_are_written_through_common_tabular(package):
    assert raw_spreadsheet_writers(ROOT / package) == []


def test_the_spreadsheet_guard_catches_a_raw_writer(tmp_path):
    global ROOT
    (tmp_path / "m.py").write_text("import csv\nw = csv.writer(buf)\n")
    saved, ROOT = ROOT, tmp_path
    try:
        assert raw_spreadsheet_writers(tmp_path) == ["m.py:2: w = csv.writer(buf)"]
    finally:
        ROOT = saved


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(packages: list[str]) -> dict[str, set[str]]:
    """Module → project modules it imports, deferred (function-level) imports included."""
    paths = {module_name(p): p for pkg in packages for p in (ROOT / pkg).rglob("*.py")
             if "migrations" not in p.relative_to(ROOT).parts}
    graph: dict[str, set[str]] = {name: set() for name in paths}

    def add(source: str, target: str) -> None:
        # "from pkg import name": name may be a submodule, else it is an attribute of pkg
        if target in paths and target != source:
            graph[source].add(target)

    for name, path in paths.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    add(name, alias.name)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    module = ".".join(base + ([node.module] if node.module else []))
                else:
                    module = node.module or ""
                for alias in node.names:
                    if f"{module}.{alias.name}" in paths:
                        add(name, f"{module}.{alias.name}")
                    else:
                        add(name, module)
    return graph


def import_circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(circles)


@pytest.mark.parametrize("package", ["ansinh", "common", "gateway", "services/payments", "services/insurance",
                                     "services/child_protection"])
def test_no_import_circles_between_modules(package):
    assert import_circles(import_graph([package])) == []


def test_the_circle_guard_sees_a_deferred_import(tmp_path):
    global ROOT
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from . import b\n")
    (pkg / "b.py").write_text("def f():\n    from .a import thing\n")
    saved, ROOT = ROOT, tmp_path
    try:
        assert import_circles(import_graph(["pkg"])) == [["pkg.a", "pkg.b"]]
    finally:
        ROOT = saved


OUTSIDE_DOCUMENTS = ("DESIGN.md", "DOMAIN.md", "../shared")


def citations_of_outside_documents() -> list[str]:
    """The project's code and docs stand alone: they cite docs/ (rules.md, architecture.md), never files outside."""
    found = []
    for top in ("common", "gateway", "services", "ansinh", "tests", "bench", "docs", "deploy"):
        for path in (ROOT / top).rglob("*"):
            if path.suffix not in {".py", ".md", ".yaml", ".yml", ".sh", ".conf"} or "__pycache__" in path.parts:
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if any(name in line for name in OUTSIDE_DOCUMENTS) and path.name != "test_architecture.py":
                    found.append(f"{path.relative_to(ROOT)}:{number}")
    for name in ("README.md", "Makefile", "Dockerfile", "docker-compose.yml", "pyproject.toml"):
        text = (ROOT / name).read_text()
        found += [name for outside in OUTSIDE_DOCUMENTS if outside in text]
    return found


def test_code_and_docs_cite_no_document_outside_the_repository():
    assert citations_of_outside_documents() == []
