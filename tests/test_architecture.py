"""DESIGN.md's boundaries: common/ imports no service or gateway; services never import each other."""

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
