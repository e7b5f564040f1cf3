"""The dispatcher's delivery-latency histogram, filled for a whole batch at once, reads as if each delivery had been
observed one by one (what a Prometheus scrape shows)."""

from __future__ import annotations

import random

from prometheus_client import CollectorRegistry

from gateway.events.dispatcher import DispatchMetrics, observe_many


def _samples(registry: CollectorRegistry) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for metric in registry.collect()
        if metric.name == "gateway_event_delivery_latency_seconds"
        for s in metric.samples
        if not s.name.endswith("_created")
    }


def test_a_batch_observed_at_once_reads_as_one_by_one() -> None:
    rng = random.Random(7)
    # On the bounds, between them, beyond the last one, and zero.
    values = [0.0, 0.005, 0.01, 0.3, 2.5, 10.0, 900.0] + [rng.expovariate(2.0) for _ in range(500)]
    one, many = CollectorRegistry(), CollectorRegistry()
    single, batched = DispatchMetrics(one), DispatchMetrics(many)
    for v in values:
        single.latency.observe(v)
    observe_many(batched.latency, values[:200])
    observe_many(batched.latency, values[200:])
    observe_many(batched.latency, [])
    expected, got = _samples(one), _samples(many)
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        assert abs(got[key] - value) < 1e-6, key
    assert got[("gateway_event_delivery_latency_seconds_count", ())] == len(values)
