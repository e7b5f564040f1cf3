"""Response bodies of the level-changes job."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, Field

from ..events import BeneficiaryLevelChanged
from ..rules.months import Month


class PublishedChange(BeneficiaryLevelChanged):
    """The `data` of one `registry.beneficiary.level_changed.v1` event, with the event's id."""

    event_id: uuid.UUID


class LevelChangeRun(BaseModel):
    on: date = Field(description="The day the job ran for")
    effective_month: Month = Field(description="YYYY-MM: the month whose changes were looked for (that of `on`)")
    published: list[PublishedChange] = Field(
        description="The events this run published (none for changes an earlier run already published)"
    )
