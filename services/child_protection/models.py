"""ORM models of the child protection service; every table lives in the ``child_protection`` schema."""

from common.db import make_base

SCHEMA = "child_protection"
Base = make_base(SCHEMA)
