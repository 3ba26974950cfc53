"""Who an agent is: the identity the scenario gives it, validated."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Persona(BaseModel):
    """The fixed part of an agent: the paper's 'identity stable set' plus its daily rhythm."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=80)
    age: int = Field(ge=0, le=130)
    innate: str = Field(description="innate traits, e.g. 'friendly, outgoing, hospitable'")
    background: str = Field(description="what the agent has learned and done so far")
    currently: str = Field(description="what occupies the agent these days")
    lifestyle: str = ""
    wake: dt.time = Field(description="usual waking time")
    sleep: dt.time = Field(description="usual bedtime; may be after midnight")
    home: str = Field(description="sector, or 'sector:arena' for one room of a shared home")
    occupation: str
    workplace: str | None = Field(default=None, description="sector or 'sector:arena'")

    @field_validator("name")
    @classmethod
    def _name_is_plain(cls, name: str) -> str:
        if name != name.strip() or ":" in name:
            raise ValueError("a name has no surrounding spaces and no ':'")
        return name

    @property
    def first_name(self) -> str:
        return self.name.split()[0]

    def is_awake_at(self, minute_of_day: int) -> bool:
        wake = self.wake.hour * 60 + self.wake.minute
        sleep = self.sleep.hour * 60 + self.sleep.minute
        if wake < sleep:
            return wake <= minute_of_day < sleep
        return minute_of_day >= wake or minute_of_day < sleep

    def summary(self) -> str:
        """The identity paragraph that opens every prompt about this agent."""
        work = f" at {self.workplace}" if self.workplace else ""
        return (
            f"Name: {self.name} (age {self.age})\n"
            f"Innate traits: {self.innate}\n"
            f"Occupation: {self.occupation}{work}\n"
            f"Background: {self.background}\n"
            f"Currently: {self.currently}\n"
            f"Lifestyle: {self.lifestyle or 'no particular habits'}; usually wakes at "
            f"{self.wake:%H:%M} and goes to bed at {self.sleep:%H:%M}."
        )
