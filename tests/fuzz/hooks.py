"""Schemathesis hooks of the fuzz run (loaded through ``SCHEMATHESIS_HOOKS=tests.fuzz.hooks``).

A webhook subscription makes the gateway send requests to its URL. Generated URLs would point anywhere,
so every subscription the fuzzer asks for is pointed at a closed port on this machine instead; the
fuzz test checks afterwards that no subscription points elsewhere.
"""

from __future__ import annotations

import os
from typing import Any

import schemathesis

WEBHOOK_URL = os.environ.get("ANSINH_FUZZ_WEBHOOK_URL", "https://127.0.0.1:9/fuzz-webhook")


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    if (
        case.method.upper() == "POST"
        and case.path == "/subscriptions"
        and isinstance(case.body, dict)
        and "url" in case.body
    ):
        case.body = {**case.body, "url": WEBHOOK_URL}
