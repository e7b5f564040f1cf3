"""ORM models of the child protection service; every table lives in the ``child_protection`` schema."""

from common.db import make_base
from common.events.tables import event_tables

SCHEMA = "child_protection"
Base = make_base(SCHEMA)
EVENT_TABLES = event_tables(Base.metadata)
