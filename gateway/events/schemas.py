from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from common.events.envelope import TYPE_PATTERN

PATTERN = r"^[a-z*?][a-z0-9_.*?]*$"


class SubscriptionIn(BaseModel):
    url: str = Field(max_length=2000, examples=["https://partner.example.vn/ansinh/webhooks"])
    types: list[str] = Field(
        min_length=1,
        max_length=50,
        examples=[["payments.batch.ready.v1"]],
        description="Event types, with * wildcards, e.g. `payments.batch.*`",
    )
    description: str = Field("", max_length=500)

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"url": "https://vnpost.example.vn/ansinh", "types": ["payments.batch.*"], "description": "batches"}
            ]
        }
    }


class SubscriptionOut(BaseModel):
    id: uuid.UUID
    url: str
    types: list[str]
    areas: list[str] = Field(
        description="Only events that concern one of these areas (those of the client that "
        "made it); empty: every event of the types"
    )
    description: str
    created_at: datetime
    secret: str | None = Field(None, description="Shown once, at creation: verify deliveries with it")


class DeliveryOut(BaseModel):
    id: int
    event_id: uuid.UUID
    type: str
    subject: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_status: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


class Page(BaseModel):
    items: list[Any]
    next_cursor: str | None


class Accepted(BaseModel):
    accepted: int = Field(description="New events stored")
    duplicates: int = Field(description="Events the hub already had (a replay is success)")


__all__ = ["TYPE_PATTERN", "PATTERN", "SubscriptionIn", "SubscriptionOut", "DeliveryOut", "Page", "Accepted"]
