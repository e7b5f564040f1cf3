import time

from gateway.breaker import CircuitBreaker


def test_closed_open_half_open_closed(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    b = CircuitBreaker(threshold=2, cooldown=10)
    assert b.allow() is None
    b.failure()
    assert b.state == "closed" and b.allow() is None
    b.failure()
    assert b.state == "open" and b.allow() == 10
    now[0] += 4
    assert b.allow() == 6
    now[0] += 6
    assert b.state == "half-open"
    assert b.allow() is None  # one trial goes through…
    assert b.allow() is not None  # …and only one
    b.failure()  # the trial failed: open again for a full cooldown
    assert b.allow() == 10
    now[0] += 10
    assert b.allow() is None
    b.success()
    assert b.state == "closed" and b.allow() is None and b.failures == 0
