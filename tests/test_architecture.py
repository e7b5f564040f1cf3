"""docs/architecture.md's boundaries: common/ imports no service or gateway; services never import each other."""

import ast
import re
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
            if (
                "csv.writer(" in code
                or "csv.DictWriter(" in code
                or ("sheet.append(" in code and "xlsx_row(" not in code)
            ):
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
    paths = {
        module_name(p): p
        for pkg in packages
        for p in (ROOT / pkg).rglob("*.py")
        if "migrations" not in p.relative_to(ROOT).parts
    }
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


@pytest.mark.parametrize(
    "package",
    [
        "ansinh",
        "common",
        "gateway",
        "services/registry",
        "services/payments",
        "services/insurance",
        "services/child_protection",
    ],
)
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


OUTSIDE_DOCUMENTS = ("DESIGN.md", "DOMAIN.md", "DOMAIN §", "../shared")


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


# --- one writer per table --------------------------------------------------------------------------------------------
#
# Each table has exactly one owning feature (the folder under services/<service>/ whose repository holds its SQL;
# docs/architecture.md, "Adding a service or a feature"). Other features ask the owner's service. The guard sees the
# writes the code spells out: SQL text (INSERT INTO / UPDATE / DELETE FROM, f-strings included), SQLAlchemy
# insert()/update()/delete() of a model, and session.add()/add_all() of model instances (resolved through the
# constructor, an assignment or an annotation). It also refuses a call from one feature to a function of another
# feature's module that writes. Attribute changes on loaded ORM rows (``row.status = …``) are not seen by it.

OWNERS: dict[str, dict[str, str]] = {
    "registry": {
        "admin_units": "units",
        "unit_mappings": "units",
        "standard_levels": "parameters",
        "category_rules": "parameters",
        "persons": "persons",
        "sensitive_reads": "persons",
        "change_history": "history",
        "households": "households",
        "household_addresses": "households",
        "household_members": "households",
        "poverty_statuses": "households",
        "applications": "beneficiaries",
        "beneficiaries": "beneficiaries",
        "decisions": "beneficiaries",
        "residencies": "residential",
        "facilities": "residential",
        "entitlement_schedules": "schedules",
        "level_changes": "level_changes",
        "imports": "imports",
        "possible_duplicates": "duplicates",
        "study_periods": "study",
        "donations": "donations",
        "application_drafts": "referrals",
    },
    "payments": {
        "beneficiaries": "projection",
        "entitlement_periods": "projection",
        "households": "projection",
        "poverty_statuses": "projection",
        "electricity_use": "electricity",
        "programmes": "programmes",
        "programme_parameters": "programmes",
        "one_off_payments": "one_off",
        "longevity_gifts": "longevity",
        "emergency_reliefs": "emergency",
        "artisan_enrolments": "artisans",
        "payrolls": "payrolls",
        "payroll_lines": "payrolls",
        "payroll_line_months": "payrolls",
        "payroll_carries": "payrolls",
        "settlements": "payrolls",
        "ledger_entries": "ledger",
        "batches": "disbursement",
        "line_results": "disbursement",
        "unpaid_alerts": "disbursement",
        "disbursement_exceptions": "reconciliation",
        "foster_placements": "foster",
    },
    "insurance": {
        "persons": "projection",
        "beneficiary_steps": "projection",
        "household_statuses": "projection",
        "household_members": "projection",
        "pending_decisions": "decisions",
        "entitlements": "decisions",
        "cards": "cards",
        "card_history": "cards",
        "exchange_lists": "exchange",
        "exchange_items": "exchange",
        "exchange_exceptions": "exchange",
        "coverage_reads": "coverage",
        "parameters": "parameters",
        "card_groups": "parameters",
        "te_proposals": "proposals",
        "recorded_groups": "recorded",
        "person_merges": "projection",
    },
    "child_protection": {
        "children": "children",
        "child_groups": "children",
        "cases": "cases",
        "case_steps": "cases",
        "plans": "cases",
        "support_items": "cases",
        "separations": "cases",
        "placements": "placements",
        "attachments": "attachments",
        "deadlines": "deadlines",
        "alert_runs": "deadlines",
        "read_audit": "access",
        "changes": "changes",
        "holidays": "reference",
        "circumstance_groups": "reference",
        "units": "reference",
    },
}
"""Table → owning feature, per service. A table missing here fails the guard."""

ALSO_WRITTEN_BY: dict[tuple[str, str, str], str] = {
    (
        "insurance",
        "pending_decisions",
        "projection",
    ): "each projection statement records a registry fact and queues the person for a new decision in the same "
    "round trip (the enrolment of 100,000+ children goes through it one event at a time); decisions takes the "
    "queue",
    (
        "insurance",
        "pending_decisions",
        "proposals",
    ): "as the projection: a TE proposal queues the child for a new decision in the same statement",
    (
        "insurance",
        "pending_decisions",
        "recorded",
    ): "as the projection: an HS/SV span recorded or withdrawn queues the person for a new decision in the same "
    "statement",
    (
        "child_protection",
        "*",
        "rekey",
    ): "key rotation rewrites the ciphertext columns of every table, by name: an operations task, not a feature's data",
}
"""The documented exceptions: (service, table or ``*``, writing feature) → why. Keep it short."""

WRITE_SQL = re.compile(r"\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+(?:ONLY\s+)?(?:[\w{}]+\.)?(\{[^}]*\}|\w+)", re.I)
WRITE_CONSTRUCTS = {"insert", "update", "delete", "pg_insert"}


def model_tables(service: str) -> dict[str, str]:
    """Model class name → table name, from ``__tablename__`` in the service's models."""
    found: dict[str, str] = {}
    base = ROOT / "services" / service
    for path in [base / "models.py", *sorted((base / "models").rglob("*.py"))]:
        if not path.exists():
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ClassDef):
                for item in node.body:
                    if (
                        isinstance(item, ast.Assign)
                        and any(isinstance(t, ast.Name) and t.id == "__tablename__" for t in item.targets)
                        and isinstance(item.value, ast.Constant)
                    ):
                        found[node.name] = item.value.value
    return found


def _text(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            v.value if isinstance(v, ast.Constant) else "{" + ast.unparse(v.value) + "}"
            for v in node.values
            if isinstance(v, ast.Constant | ast.FormattedValue)
        )
    return None


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


def _annotated_models(annotation: ast.AST | None, models: dict[str, str]) -> set[str]:
    if annotation is None:
        return set()
    return {n.id for n in ast.walk(annotation) if isinstance(n, ast.Name) and n.id in models}


class Writes:
    """The tables one module writes: per top-level function (directly or through the module's own functions), and
    at module level (SQL constants)."""

    def __init__(self, path: Path, models: dict[str, str], tables: set[str]) -> None:
        self.models, self.tables = models, tables
        tree = ast.parse(path.read_text(), str(path))
        self.docstrings = _docstrings(tree)
        self.constants: dict[str, set[str]] = {}
        for node in tree.body:
            if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
                written = self._sql(node.value)
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for t in targets:
                    if isinstance(t, ast.Name) and written:
                        self.constants[t.id] = written
        functions = {n.name: n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
        self.returns = {name: _annotated_models(f.returns, models) for name, f in functions.items()}
        direct = {name: self._direct(f) for name, f in functions.items()}
        calls = {
            name: {
                c.func.id
                for c in ast.walk(f)
                if isinstance(c, ast.Call) and isinstance(c.func, ast.Name) and c.func.id in functions
            }
            for name, f in functions.items()
        }
        self.functions = {name: set(w) for name, w in direct.items()}
        changed = True
        while changed:
            changed = False
            for name, callees in calls.items():
                for callee in callees:
                    if not self.functions[callee] <= self.functions[name]:
                        self.functions[name] |= self.functions[callee]
                        changed = True
        self.module = set().union(*self.constants.values(), *self.functions.values())

    def _sql(self, node: ast.AST) -> set[str]:
        found = set()
        for n in ast.walk(node):
            if id(n) in self.docstrings:
                continue
            text = _text(n)
            if text is None:
                continue
            for m in WRITE_SQL.finditer(text):
                name = m.group(1)
                if name.startswith("{"):
                    found.add(f"? (table named at run time: {name})")
                elif name in self.tables:
                    found.add(name)
        return found

    def _direct(self, function: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
        typed: dict[str, set[str]] = {}
        args = function.args
        for a in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
            if a is not None:
                typed[a.arg] = _annotated_models(a.annotation, self.models)
        for n in ast.walk(function):
            if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call):
                made = self._constructed(n.value)
                for t in n.targets:
                    if isinstance(t, ast.Name) and made:
                        typed.setdefault(t.id, set()).update(made)
            elif isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name):
                typed.setdefault(n.target.id, set()).update(_annotated_models(n.annotation, self.models))
                if isinstance(n.value, ast.Call):
                    typed[n.target.id].update(self._constructed(n.value))
        written = self._sql(function)
        for n in ast.walk(function):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id in self.constants:
                written |= self.constants[n.id]
            if not isinstance(n, ast.Call):
                continue
            func = n.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if name in WRITE_CONSTRUCTS and n.args:
                first = n.args[0]
                target = first.value if isinstance(first, ast.Attribute) and first.attr == "__table__" else first
                if isinstance(target, ast.Name) and target.id in self.models:
                    written.add(self.models[target.id])
            elif (
                name in {"add", "add_all"}
                and isinstance(n.func, ast.Attribute)
                and "session" in ast.unparse(n.func.value)
                and n.args
            ):
                classes: set[str] = set()
                for arg in ast.walk(n.args[0]):
                    if isinstance(arg, ast.Call):
                        classes |= self._constructed(arg)
                    elif isinstance(arg, ast.Name):
                        classes |= typed.get(arg.id, set())
                written |= {self.models[c] for c in classes}
                if not classes:
                    written.add(f"? (session.{name} of an object of unknown type: {ast.unparse(n.args[0])})")
        return written

    def _constructed(self, call: ast.Call) -> set[str]:
        """The model ``call`` makes: a model's constructor, or a function of the module annotated to return one."""
        if not isinstance(call.func, ast.Name):
            return set()
        if call.func.id in self.models:
            return {call.func.id}
        return self.returns.get(call.func.id, set())


def feature_of(path: Path, service: str) -> str:
    parts = path.relative_to(ROOT / "services" / service).with_suffix("").parts
    return parts[0]


def writes_outside_owners(service: str) -> list[str]:
    owners = OWNERS[service]
    models = model_tables(service)
    tables = set(models.values())
    base = ROOT / "services" / service
    paths = [p for p in sorted(base.rglob("*.py")) if "migrations" not in p.relative_to(base).parts]
    writes = {module_name(p): Writes(p, models, tables) for p in paths}
    found = [f"services/{service}: table {t} has no owner in OWNERS" for t in sorted(tables - set(owners))]
    for path in paths:
        name, feature = module_name(path), feature_of(path, service)
        for table in sorted(writes[name].module):
            table_name = "*" if table.startswith("?") else table
            if owners.get(table) != feature and (service, table_name, feature) not in ALSO_WRITTEN_BY:
                found.append(f"{path.relative_to(ROOT)} ({feature}) writes {table} (owner: {owners.get(table)})")
        # Calls into another feature's module that write: others ask the owner's service, not its repository.
        tree = ast.parse(path.read_text(), str(path))
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        aliases: dict[str, str] = {}  # local name → module, for "from ..x import repository as r"
        functions: dict[str, tuple[str, str]] = {}  # local name → (module, function)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    parts = package.split(".")
                    module = ".".join(parts[: len(parts) - (node.level - 1)] + ([node.module] if node.module else []))
                else:
                    module = node.module or ""
                for alias in node.names:
                    local = alias.asname or alias.name
                    if f"{module}.{alias.name}" in writes:
                        aliases[local] = f"{module}.{alias.name}"
                    elif module in writes:
                        functions[local] = (module, alias.name)
        for node in ast.walk(tree):
            target = None
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
                target = (aliases[node.value.id], node.attr)
            elif isinstance(node, ast.Name) and node.id in functions:
                target = functions[node.id]
            if target is None:
                continue
            module, function = target
            other = feature_of(paths_by_module(paths)[module], service)
            written = writes[module].functions.get(function, set())
            if other != feature and written and module.rpartition(".")[2] == "repository":
                found.append(
                    f"{path.relative_to(ROOT)}:{node.lineno} ({feature}) calls {module}.{function}, "
                    f"which writes {', '.join(sorted(written))} (ask {other}'s service)"
                )
    return sorted(set(found))


def paths_by_module(paths: list[Path]) -> dict[str, Path]:
    return {module_name(p): p for p in paths}


@pytest.mark.parametrize("service", SERVICES)
def test_each_table_has_one_writing_feature(service):
    assert writes_outside_owners(service) == []


def test_the_writer_guard_catches_foreign_writes(tmp_path):
    global ROOT
    base = tmp_path / "services" / "svc"
    for folder in ("a", "b"):
        (base / folder).mkdir(parents=True)
        (base / folder / "__init__.py").write_text("")
    (base / "__init__.py").write_text("")
    (base / "models.py").write_text(
        "class Base: ...\n"
        "class Alpha(Base):\n    __tablename__ = 'alphas'\n"
        "class Beta(Base):\n    __tablename__ = 'betas'\n"
    )
    (base / "a" / "repository.py").write_text(
        "from sqlalchemy import delete, text\n"
        "from ..models import Alpha, Beta\n"
        "async def fine(session, row: Alpha):\n    session.add(row)\n"
        "async def raw(session):\n    await session.execute(text('UPDATE svc.betas SET x = 1'))\n"
        "async def orm(session):\n    await session.execute(delete(Beta))\n"
        "async def made(session):\n    b = Beta()\n    session.add(b)\n"
        "async def unknown(session, row):\n    session.add(row)\n"
    )
    (base / "b" / "service.py").write_text(
        "from ..a import repository as alphas\n"
        "async def sneaky(session):\n    await alphas.fine(session, None)\n"
        "async def reads(session):\n    return alphas.__name__\n"
    )
    saved, ROOT = ROOT, tmp_path
    OWNERS["svc"] = {"alphas": "a", "betas": "b"}
    try:
        assert writes_outside_owners("svc") == [
            "services/svc/a/repository.py (a) writes ? (session.add of an object of unknown type: row) (owner: None)",
            "services/svc/a/repository.py (a) writes betas (owner: b)",
            "services/svc/b/service.py:3 (b) calls services.svc.a.repository.fine, which writes alphas "
            "(ask a's service)",
        ]
    finally:
        ROOT = saved
        del OWNERS["svc"]
