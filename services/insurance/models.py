"""ORM models of the insurance service; every table lives in the ``insurance`` schema."""

from common.db import make_base

SCHEMA = "insurance"
Base = make_base(SCHEMA)
