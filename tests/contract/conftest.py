"""Contract tests drive the consumer and producer apps in process: the child protection fixtures."""

from ..services.child_protection.conftest import app, http, now, settings  # noqa: F401 (fixtures)
