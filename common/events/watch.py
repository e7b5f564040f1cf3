"""Is this service's inbox subscription at the hub still there? Checked on start and every minute.

Events reach a service only through its internal subscription at the gateway's hub. If that subscription
is ended (deleted) or removed, or signs with another secret than the inbox's, the hub stops delivering
and nothing else notices: the service keeps answering, its projections silently go stale. So the service
asks the hub (``POST /events/inbox-subscription/check``, signed per Standard Webhooks with its inbox secret:
no token, so no client-secret check at the gateway, which costs ~0.1 s of CPU each) on start and every
``events_subscription_check_seconds``, and ``/ready`` answers 503 with the reason while the answer is not
"active, with my secret and the types my handlers need". ``ansinh events repair <service>`` brings it back
and queues what it missed.

When the hub cannot be asked (the gateway is down or not started yet), the last answer stands and the
check is tried again sooner: an unreachable gateway is not this service's problem to report.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import structlog
from standardwebhooks.webhooks import Webhook

from ..asgi import cancel_and_wait
from .envelope import matches
from .inbox import INBOX_PATH

log = structlog.get_logger("events.watch")

CHECK_PATH = "/events/inbox-subscription/check"
RETRY_SECONDS = 5.0


class SubscriptionWatch:
    def __init__(
        self,
        service: str,
        patterns: list[str],
        *,
        http: httpx.AsyncClient,
        gateway_url: str,
        inbox_secret: str,
        interval: float = 60.0,
    ) -> None:
        self.service = service
        self.patterns = patterns
        self.http = http
        self.gateway_url = gateway_url.rstrip("/")
        self.signer = Webhook(inbox_secret)
        self.interval = interval
        self.problem: str | None = None
        """Why events do not reach this service (None: fine, or not known yet)."""
        self.checked = False
        """True once the hub answered at least once."""
        self.answered = False
        """Whether the last attempt got an answer (if not, the next comes sooner)."""
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.check()
        self._task = asyncio.create_task(self._loop(), name=f"{self.service}-subscription-watch")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval if self.answered else min(self.interval, RETRY_SECONDS))
            await self.check()

    async def check(self) -> str | None:
        """Ask the hub once; returns (and keeps) the problem, if any."""
        try:
            answer = await self._ask()
        except Exception as exc:  # gateway down or starting: keep the last answer, ask again soon
            self.answered = False
            log.info("subscription_check_inconclusive", error=type(exc).__name__, detail=str(exc)[:200])
            return self.problem
        self.answered = self.checked = True
        problem = self.judge(answer)
        if problem != self.problem:
            (log.warning if problem else log.info)("subscription_check", ok=problem is None, problem=problem)
        self.problem = problem
        return problem

    async def _ask(self) -> dict[str, Any]:
        body = orjson.dumps({"service": self.service})
        msg_id, now = f"check_{uuid.uuid4().hex}", datetime.now(UTC)
        resp = await self.http.post(
            f"{self.gateway_url}{CHECK_PATH}",
            content=body,
            headers={
                "content-type": "application/json",
                "webhook-id": msg_id,
                "webhook-timestamp": str(int(now.timestamp())),
                "webhook-signature": self.signer.sign(msg_id, now, body),
            },
        )
        resp.raise_for_status()
        return dict(resp.json())

    def judge(self, answer: dict[str, Any]) -> str | None:
        name = answer.get("name", f"{self.service}-inbox")
        repair = f"events for {self.service} are not delivered; run `ansinh events repair {self.service}`"
        status = answer.get("status")
        if status == "missing":
            return f"the hub has no subscription {name!r}: {repair}"
        if status != "active":
            since = f" since {answer['deleted_at']}" if answer.get("deleted_at") else ""
            return f"subscription {name!r} at the hub is {status}{since}: {repair}"
        if answer.get("secret") != "matches":
            return (
                f"the hub signs deliveries to {name!r} with another secret than this service's inbox secret, "
                f"so this service refuses them: {repair}"
            )
        if not str(answer.get("url", "")).endswith(INBOX_PATH):
            return f"subscription {name!r} delivers to {answer.get('url')!r}, not to an inbox: {repair}"
        types = list(answer.get("types") or [])
        uncovered = [p for p in self.patterns if p not in types and not matches(p, types)]
        if uncovered:
            return f"subscription {name!r} lacks the types {', '.join(uncovered)} this service handles: {repair}"
        return None
