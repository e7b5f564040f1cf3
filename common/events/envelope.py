"""The CloudEvents 1.0 envelope (JSON format) with a per-aggregate ``sequence`` extension."""

from __future__ import annotations

import fnmatch
import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

TYPE_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+\.v[0-9]+$"


class Event(BaseModel):
    """One event as it travels: CloudEvents attributes plus ``sequence`` (1, 2, … per source and subject)."""

    model_config = ConfigDict(extra="forbid")

    specversion: str = Field("1.0", pattern=r"^1\.0$")
    id: uuid.UUID
    source: str = Field(min_length=1, max_length=200, examples=["/ansinh/registry"])
    type: str = Field(pattern=TYPE_PATTERN, max_length=200, examples=["registry.beneficiary.approved.v1"])
    subject: str = Field(min_length=1, max_length=200, description="The aggregate, e.g. a beneficiary id")
    time: datetime
    datacontenttype: str = "application/json"
    sequence: int = Field(ge=1, description="Order of this event among the events of its subject")
    data: dict[str, Any]


def new_event(source: str, type_: str, subject: str, data: BaseModel | dict[str, Any]) -> dict[str, Any]:
    """An envelope without its sequence (the outbox assigns it in the publishing transaction)."""
    payload = data.model_dump(mode="json") if isinstance(data, BaseModel) else data
    return {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": source,
        "type": type_,
        "subject": subject,
        "time": datetime.now(UTC).isoformat(),
        "datacontenttype": "application/json",
        "data": payload,
    }


class Catalogue:
    """The event types a service publishes, each with the pydantic model of its ``data``."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.source = f"/ansinh/{service}"
        self.types: dict[str, type[BaseModel]] = {}

    def register(self, type_: str, description: str = ""):  # type: ignore[no-untyped-def]
        """Class decorator: ``@catalogue.register("registry.person.registered.v1")``."""
        if not type_.startswith(self.service + "."):
            raise ValueError(f"{type_!r} must start with {self.service!r}.")

        def wrap(model: type[BaseModel]) -> type[BaseModel]:
            model.__doc__ = model.__doc__ or description
            self.types[type_] = model
            return model

        return wrap

    def event(self, type_: str, subject: str, data: BaseModel) -> dict[str, Any]:
        model = self.types.get(type_)
        if model is None:
            raise KeyError(f"{type_!r} is not in the {self.service} event catalogue")
        return new_event(self.source, type_, subject, model.model_validate(data.model_dump()))


def matches(type_: str, patterns: list[str]) -> bool:
    """``registry.beneficiary.*`` style matching (shell wildcards over the dotted type)."""
    return any(fnmatch.fnmatchcase(type_, p) for p in patterns)
