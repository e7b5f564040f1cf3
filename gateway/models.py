"""ORM models of the gateway; every table lives in the ``gateway`` schema."""

from common.db import make_base

SCHEMA = "gateway"
Base = make_base(SCHEMA)
