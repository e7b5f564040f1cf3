"""Domain events shared by the services through the gateway's hub.

- :mod:`.envelope` — the CloudEvents 1.0 envelope and the per-service catalogue of payload schemas;
- :mod:`.outbox` — ``publish(session, event)``: an outbox row in the caller's transaction (``publish_many``
  for bulk paths);
- :mod:`.relay` — drains the outbox to the gateway's ``POST /events`` in batches;
- :mod:`.inbox` — receives signed deliveries and applies each event exactly once.
"""

from .envelope import Catalogue, Event, new_event
from .outbox import publish, publish_many

__all__ = ["Catalogue", "Event", "new_event", "publish", "publish_many"]
