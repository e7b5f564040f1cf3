"""The project installs as a wheel: every module is in it and imports from it, not from the source tree.

A package folder without ``__init__.py`` is left out of a non-editable install (``pip install .`` in the
container), which the editable install used by development hides. Migration scripts are not modules (alembic
runs them from the source tree with its own loader) and are not checked here.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("common", "gateway", "services", "ansinh")


def source_modules() -> list[str]:
    names = []
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            relative = path.relative_to(ROOT)
            if "migrations" in relative.parts[:-1] or "__pycache__" in relative.parts:
                continue
            if relative.name == "__main__.py":  # runs the command line when imported
                continue
            parts = list(relative.with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            names.append(".".join(parts))
    return sorted(names)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    assert uv, "uv is a development dependency (pyproject.toml, dev extra)"
    out = tmp_path_factory.mktemp("wheel")
    # sdist first, then the wheel from it (uv build's default): what a release builds, and nothing built in the tree
    subprocess.run([uv, "build", "--out-dir", str(out), "-q", str(ROOT)], check=True, capture_output=True, timeout=300)
    [built] = out.glob("ansinh-*.whl")
    return built


def test_every_module_is_in_the_wheel(wheel):
    inside = set(zipfile.ZipFile(wheel).namelist())
    missing = [
        m
        for m in source_modules()
        if m.replace(".", "/") + ".py" not in inside and m.replace(".", "/") + "/__init__.py" not in inside
    ]
    assert missing == []


def test_every_module_imports_from_the_wheel(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    script = (
        "import importlib, json, os, sys\n"
        "bad = {}\n"
        "for name in json.loads(os.environ['MODULES']):\n"
        "    try:\n"
        "        module = importlib.import_module(name)\n"
        "        if not module.__file__.startswith(os.environ['SITE']):\n"
        "            bad[name] = 'imported from ' + module.__file__\n"
        "    except Exception as exc:\n"
        "        bad[name] = repr(exc)\n"
        "print(json.dumps(bad))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(site), "MODULES": json.dumps(source_modules()), "SITE": str(site)}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {}
