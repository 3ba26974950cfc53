"""Every tunable of the simulation in one place; a scenario's [config] table overrides it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class TownConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # Perception, as in the paper.
    vision_radius: int = Field(8, ge=0, description="tiles an agent sees around it")
    attention_bandwidth: int = Field(8, ge=1, description="nearest events perceived per tick")
    retention: int = Field(5, ge=0, description="recent sightings not perceived again")
    # The model.
    max_in_flight: int = Field(8, ge=1, description="model requests running at once")
