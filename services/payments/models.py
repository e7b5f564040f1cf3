"""ORM models of the payments service; every table lives in the ``payments`` schema."""

from common.db import make_base
from common.events.tables import event_tables

SCHEMA = "payments"
Base = make_base(SCHEMA)
EVENT_TABLES = event_tables(Base.metadata)
