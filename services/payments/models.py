"""ORM models of the payments service; every table lives in the ``payments`` schema."""

from common.db import make_base

SCHEMA = "payments"
Base = make_base(SCHEMA)
