"""Time-ordered identifiers (UUID version 7, RFC 9562).

A random UUID (version 4) lands anywhere in a B-tree primary key, so a bulk insert of 50,000 rows touches pages
all over the index. A version 7 UUID starts with the Unix time in milliseconds: rows created together sit
together in the index, and the pages an insert touches stay in memory. The ids stay unguessable (74 random bits)
and are ordinary ``uuid`` values for PostgreSQL and for partners.
"""

from __future__ import annotations

import os
import time
import uuid

_MS = (1 << 48) - 1


def uuid7(ms: int | None = None) -> uuid.UUID:
    """A new version 7 UUID for the current time (or for ``ms`` milliseconds since the Unix epoch)."""
    when = time.time_ns() // 1_000_000 if ms is None else ms
    rand = int.from_bytes(os.urandom(10), "big")
    rand_a = rand >> 68  # 12 bits
    rand_b = rand & ((1 << 62) - 1)  # 62 bits
    value = (when & _MS) << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b
    return uuid.UUID(int=value)


def uuid7_many(count: int) -> list[uuid.UUID]:
    """``count`` new version 7 UUIDs for the current time (bulk imports): one clock reading and one read of the
    random source for all, half the cost of as many :func:`uuid7` calls. They share the millisecond and differ in
    their 74 random bits."""
    head = (time.time_ns() // 1_000_000 & _MS) << 80 | 0x7 << 76 | 0b10 << 62
    random = os.urandom(10 * count)
    low = (1 << 62) - 1
    out = []
    for i in range(0, 10 * count, 10):
        rand = int.from_bytes(random[i : i + 10], "big")
        out.append(uuid.UUID(int=head | (rand >> 68) << 64 | rand & low))
    return out


UUIDV7_SQL_PREFIX = (
    "set_bit(set_bit(substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3) "
    "|| substring(uuid_send(gen_random_uuid()) FROM 7 FOR 6), 52, 1), 53, 1)"
)
"""SQL of 12 bytes for the head of time-ordered ids made in a statement: 48-bit Unix milliseconds, the version (7)
and 42 random bits with the variant. Drawn once per statement (``(SELECT …)``), followed by 4 bytes that count the
rows (:func:`uuid7_sql`): the ids increase with the rows, and ``gen_random_uuid()`` (~4 µs of CPU a call) is called
once, not per row. ``uuidv7()`` is built in only from PostgreSQL 18 (CI's server is 15) and draws per call."""


def uuid7_sql(counter: str) -> str:
    """SQL of a version 7 UUID per row: the statement's :data:`UUIDV7_SQL_PREFIX` then ``counter``, an SQL integer
    expression distinct for each row of the statement (e.g. a ``row_number()``). Two statements' ids collide only
    within the same millisecond and the same 42 random bits."""
    return f"encode((SELECT {UUIDV7_SQL_PREFIX}) || int4send(CAST({counter} AS int)), 'hex')::uuid"
