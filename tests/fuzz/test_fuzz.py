"""Schemathesis over every operation of the merged API document, through the real gateway.

Bounded for ``make test`` (a few examples per operation, a fixed seed and deterministic generation when
``CI`` is set); ``make fuzz`` runs the same with many more examples (``ANSINH_FUZZ_MAX_EXAMPLES``) and
a random seed (``ANSINH_FUZZ_SEED`` to replay one). Fails on any 5xx, any response that breaks the
document (status, content type, headers, body schema) and any wrong 405/``Allow``. Routes the fuzzer
must not touch are left out of the document itself (``include_in_schema=False``), not here.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from ansinh.database import in_gateway_db

from .hooks import WEBHOOK_URL

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
CI_SEED = 20261203
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "unsupported_method",
    "allow_header_conformance",
)


def fuzz_command(gateway: str, token: str) -> list[str]:
    examples = os.environ.get("ANSINH_FUZZ_MAX_EXAMPLES", "5")
    seed = os.environ.get("ANSINH_FUZZ_SEED") or (str(CI_SEED) if os.environ.get("CI") else None)
    command = [
        str(Path(sys.executable).parent / "st"),
        "run",
        f"{gateway}/openapi.json",
        "--url",
        gateway,
        "--header",
        f"Authorization: Bearer {token}",
        "--checks",
        ",".join(CHECKS),
        "--max-examples",
        examples,
        "--phases",
        os.environ.get("ANSINH_FUZZ_PHASES", "examples,coverage,fuzzing,stateful"),
        "--workers",
        os.environ.get("ANSINH_FUZZ_WORKERS", "2"),
        "--request-timeout",
        "30",
        "--no-color",
        "--output-truncate",
        "false",
    ]
    if seed:
        command += ["--seed", seed]
    # CI: the same cases every run; elsewhere no example database left behind either
    command += ["--generation-deterministic"] if os.environ.get("CI") else ["--generation-database", "none"]
    return command


async def test_no_5xx_and_no_answer_outside_the_document(fuzz_stack, fuzz_client, tmp_path):
    gateway = fuzz_stack.url("gateway")
    async with httpx.AsyncClient(base_url=gateway, timeout=10) as http:
        r = await http.post("/auth/token", data={"grant_type": "client_credentials"}, auth=fuzz_client)
        assert r.status_code == 200, r.text
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.fuzz.hooks", "PYTHONPATH": str(ROOT)}
    workdir = ROOT / "var" / "fuzz"  # schemathesis keeps its cache of failing cases there, for `st replay`
    workdir.mkdir(parents=True, exist_ok=True)
    run = await asyncio.to_thread(
        subprocess.run,
        fuzz_command(gateway, r.json()["access_token"]),
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=int(os.environ.get("ANSINH_FUZZ_TIMEOUT", "1500")),
    )
    report = Path(os.environ.get("ANSINH_FUZZ_OUTPUT") or tmp_path / "schemathesis.txt")
    await asyncio.to_thread(report.write_text, run.stdout + run.stderr)
    sys.stdout.write(f"schemathesis output: {report}\n" + run.stdout[-20000:])
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-5000:]

    # The run reached every operation of the document, and no webhook it created points off this machine.
    selected = re.search(r"Selected: (\d+)/(\d+)", run.stdout)
    tested = re.search(r"Tested: (\d+)", run.stdout)
    assert selected and tested, run.stdout[-3000:]
    assert int(selected[1]) == int(selected[2]) == int(tested[1]) > 100

    async def urls(session):
        rows = await session.execute(text("SELECT url FROM subscriptions WHERE owner IS NOT NULL"))
        return [u for (u,) in rows]

    assert set(await in_gateway_db(fuzz_stack.config.urls()["gateway"], urls)) <= {WEBHOOK_URL}
