"""A service's verdict on its inbox subscription, as the hub describes it; an unreachable hub changes nothing."""

from __future__ import annotations

import httpx

from common.events.watch import SubscriptionWatch
from common.testing import free_port


def watch(url: str = "http://127.0.0.1:9") -> SubscriptionWatch:
    return SubscriptionWatch(
        "payments",
        ["registry.beneficiary.*", "registry.canary.v1"],
        http=httpx.AsyncClient(timeout=2),
        gateway_url=url,
        inbox_secret="whsec_" + "A" * 44,
    )


ACTIVE = {
    "name": "payments-inbox",
    "status": "active",
    "url": "http://127.0.0.1:8102/events/inbox",
    "types": ["registry.beneficiary.*", "registry.canary.v1"],
    "deleted_at": None,
    "secret": "matches",
}


def test_active_with_every_handled_type_is_fine():
    assert watch().judge(ACTIVE) is None


def test_each_way_of_losing_events_is_named_with_the_repair():
    w = watch()
    missing = w.judge({**ACTIVE, "status": "missing", "url": None, "types": []})
    assert missing is not None and "no subscription 'payments-inbox'" in missing
    ended = w.judge({**ACTIVE, "status": "deleted", "deleted_at": "2026-12-03T22:00:00Z"})
    assert ended is not None and "is deleted since 2026-12-03T22:00:00Z" in ended
    narrowed = w.judge({**ACTIVE, "types": ["registry.canary.v1"]})
    assert narrowed is not None and "lacks the types registry.beneficiary.*" in narrowed
    elsewhere = w.judge({**ACTIVE, "url": "https://example.org/hook"})
    assert elsewhere is not None and "not to an inbox" in elsewhere
    other_secret = w.judge({"name": "payments-inbox", "status": "active", "secret": "differs"})
    assert other_secret is not None and "with another secret than this service's inbox secret" in other_secret
    assert all("ansinh events repair payments" in p for p in (missing, ended, narrowed, elsewhere, other_secret))


async def test_an_unreachable_hub_keeps_the_last_verdict():
    w = watch(f"http://127.0.0.1:{free_port()}")  # nothing listens: the gateway is down
    assert await w.check() is None and not w.checked and not w.answered
    w.problem = "subscription 'payments-inbox' at the hub is deleted"
    assert await w.check() == "subscription 'payments-inbox' at the hub is deleted"
    await w.http.aclose()
