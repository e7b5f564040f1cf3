from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from ..rules.text import Line, OneLine

CODE = r"^[0-9]{2,5}$"


class Level(StrEnum):
    PROVINCE = "province"
    DISTRICT = "district"
    COMMUNE = "commune"


class UnitIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "code": "29999",
                    "name": "Xã Mới",
                    "level": "commune",
                    "kind": "Xã",
                    "parent_code": None,
                    "province_code": "86",
                    "valid_from": "2025-07-01",
                    "valid_to": None,
                }
            ]
        },
    )

    code: str = Field(pattern=CODE, description="Official GSO code (province 2, district 3, commune 5 digits)")
    name: OneLine = Field(min_length=1, max_length=200)
    level: Level
    kind: Line = Field("", max_length=50, description="As written officially: Tỉnh, Huyện, Thị xã, Phường, Xã, …")
    parent_code: str | None = Field(
        None, pattern=CODE, description="Province of a district; district (before 2025) or none of a commune"
    )
    province_code: str | None = Field(
        None, pattern=CODE, description="Needed only for a commune without parent; else derived"
    )
    valid_from: date
    valid_to: date | None = Field(None, description="First day it no longer exists (none: still in force)")


class UnitOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    level: str
    kind: str
    parent_code: str | None
    province_code: str
    valid_from: date
    valid_to: date | None


class MappingIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "old_code": "29236",
                    "new_code": "29263",
                    "new_name": "Phường Long Đức",
                    "new_province_code": "86",
                    "effective_from": "2025-07-01",
                }
            ]
        },
    )

    old_code: str = Field(pattern=CODE)
    new_code: str = Field(pattern=CODE)
    new_name: OneLine = Field(min_length=1, max_length=200)
    new_province_code: str = Field(pattern=CODE)
    effective_from: date


class MappingOut(BaseModel):
    old_code: str
    old_name: str
    new_code: str
    new_name: str
    new_province_code: str
    effective_from: date


class UnitDetail(UnitOut):
    successors: list[MappingOut] = Field(description="What this unit became (old → new)")
    predecessors: list[MappingOut] = Field(description="Old units that became this code (new ← old)")


class UnitPage(BaseModel):
    items: list[UnitOut]
    next_cursor: str | None = Field(description="Pass as `cursor` to get the next page; none on the last page")
