import time
import uuid

from common.ids import uuid7, uuid7_many


def test_uuid7_is_a_version_7_rfc_uuid_carrying_its_time() -> None:
    ms = 1_764_800_000_123
    u = uuid7(ms)
    assert u.version == 7
    assert u.variant == uuid.RFC_4122
    assert u.int >> 80 == ms
    assert uuid.UUID(str(u)) == u


def test_uuid7_sorts_by_creation_time_and_does_not_repeat() -> None:
    earlier = [uuid7(1_000_000 + i) for i in range(200)]
    assert earlier == sorted(earlier)
    same_ms = {uuid7(5) for _ in range(10_000)}
    assert len(same_ms) == 10_000


def test_uuid7_many_are_version_7_uuids_of_now_all_different() -> None:
    before = time.time_ns() // 1_000_000
    many = uuid7_many(10_000)
    after = time.time_ns() // 1_000_000
    assert len(set(many)) == 10_000
    assert all(u.version == 7 and u.variant == uuid.RFC_4122 for u in many)
    assert all(before <= u.int >> 80 <= after for u in many)
    assert uuid7_many(0) == []
