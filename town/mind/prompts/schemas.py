"""The shapes of the models' answers. Choices of place are enums built from what the agent
knows, so a constrained model cannot name a place that does not exist."""

from __future__ import annotations

from functools import cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

CLOCK = r"^([01]?[0-9]|2[0-3]):[0-5][0-9]$"


class ScheduleEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: str = Field(pattern=CLOCK, description="HH:MM, 24-hour clock")
    activity: str = Field(min_length=2, max_length=120)


class DayPlanAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    summary: str = Field(max_length=300)
    schedule: list[ScheduleEntry] = Field(min_length=1, max_length=24)


class PlaceChoiceBase(BaseModel):
    model_config = ConfigDict(extra="forbid")
    place: str
    description: str = Field(min_length=2, max_length=80)
    emoji: str = Field(min_length=1, max_length=8)
    object_state: str = Field(min_length=2, max_length=60)


@cache
def place_choice(options: tuple[str, ...]) -> type[PlaceChoiceBase]:
    """PlaceChoiceBase whose `place` must be one of `options` (cached per option list)."""
    return create_model(
        "PlaceChoice",
        __base__=PlaceChoiceBase,
        place=(Literal[options], Field(description="area:room:object")),  # type: ignore[valid-type]
    )
