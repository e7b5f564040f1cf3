"""ORM models of the child protection service; every table lives in the ``child_protection`` schema."""

from sqlalchemy.orm import DeclarativeBase

from common.db import schema_metadata
from common.events.tables import event_tables

SCHEMA = "child_protection"


class Base(DeclarativeBase):
    metadata = schema_metadata(SCHEMA)


EVENT_TABLES = event_tables(Base.metadata)
