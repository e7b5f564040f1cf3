"""ORM models of the insurance service; every table lives in the ``insurance`` schema."""

from common.db import make_base
from common.events.tables import event_tables

SCHEMA = "insurance"
Base = make_base(SCHEMA)
EVENT_TABLES = event_tables(Base.metadata)
