"""ORM models of the insurance service; every table lives in the ``insurance`` schema."""

from sqlalchemy.orm import DeclarativeBase

from common.db import schema_metadata
from common.events.tables import event_tables

SCHEMA = "insurance"


class Base(DeclarativeBase):
    metadata = schema_metadata(SCHEMA)


EVENT_TABLES = event_tables(Base.metadata)
