"""Payments' line results as child protection reads them (unknown fields ignored)."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel

SERVICE_REQUEST = "service_request"


class LineResultIn(BaseModel):
    line_id: uuid.UUID
    programme: str
    recipient_id: uuid.UUID
    one_off_payment_id: uuid.UUID | None = None
    paid_on: date | None = None
    outcome: str | None = None
    reason: str | None = None

    @property
    def support_item_id(self) -> uuid.UUID | None:
        """A service-request line pays a one-off payment whose id is the support item's (a carried-over line has
        it as its recipient)."""
        if self.programme != SERVICE_REQUEST:
            return None
        return self.one_off_payment_id or self.recipient_id
