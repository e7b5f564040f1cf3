"""ORM models of the registry service; every table lives in the ``registry`` schema."""

from common.db import make_base

SCHEMA = "registry"
Base = make_base(SCHEMA)
