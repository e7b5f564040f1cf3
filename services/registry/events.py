"""Events the registry service publishes (its catalogue) and consumes (its inbox handlers)."""

from common.events.service import ServiceEvents

from .models import EVENT_TABLES

EVENTS = ServiceEvents("registry", EVENT_TABLES)
