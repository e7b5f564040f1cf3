"""Events the child protection service publishes (its catalogue) and consumes (its inbox handlers)."""

from common.events.service import ServiceEvents

from .models import EVENT_TABLES

EVENTS = ServiceEvents("child_protection", EVENT_TABLES)
