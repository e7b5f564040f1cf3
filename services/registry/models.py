"""ORM models of the registry service; every table lives in the ``registry`` schema."""

from common.db import make_base
from common.events.tables import event_tables

SCHEMA = "registry"
Base = make_base(SCHEMA)
EVENT_TABLES = event_tables(Base.metadata)
