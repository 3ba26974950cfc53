"""The shapes of the models' answers. Choices of place are enums built from what the agent
knows, so a constrained model cannot name a place that does not exist; lists whose length is
known (one rating per observation) are built with that length."""

from __future__ import annotations

from functools import cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

CLOCK = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
DAY = r"^20[0-9]{2}-[01][0-9]-[0-3][0-9]$"
# Small models on llama.cpp grammars keep to enums but not to numeric bounds, so ratings are
# enums; other numbers are clamped by the code that reads them.
Rating = Literal[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
MAX_TASKS = 4  # an hour of 15-minute tasks: more only makes a small model ramble


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScheduleEntry(Answer):
    start: str = Field(pattern=CLOCK, description="HH:MM, 24-hour clock", examples=["09:00"])
    activity: str = Field(min_length=2, max_length=120, examples=["work at Hobbs Cafe"])


class DayPlanAnswer(Answer):
    yesterday: str = Field(max_length=300, description="what from yesterday still matters")
    summary: str = Field(max_length=300)
    schedule: list[ScheduleEntry] = Field(min_length=1, max_length=24)


class FirstDayPlanAnswer(Answer):
    """The first plan of a run: there is no yesterday to look back on, and a small model
    asked for one pastes the prompt back ("Isabella woke up at 08:00 and ...")."""

    summary: str = Field(max_length=300)
    schedule: list[ScheduleEntry] = Field(min_length=1, max_length=24)


class ReplanAnswer(Answer):
    schedule: list[ScheduleEntry] = Field(min_length=1, max_length=16)


class TaskBase(Answer):
    """No state of the object used: a small model's ("cafe counter is has lunch") is garbage,
    so it is derived from the description (decompose._timed)."""

    minutes: int = Field(description="5 to 15")
    description: str = Field(min_length=2, max_length=60)
    place: str
    emoji: str = Field(min_length=1, max_length=8, examples=["📚"])


class TaskListBase(Answer):
    tasks: list[TaskBase] = Field(min_length=1, max_length=MAX_TASKS)


@cache
def task_list(options: tuple[str, ...]) -> type[TaskListBase]:
    """A task list whose places must be among `options` (one class per option list)."""
    task = create_model(
        "Task",
        __base__=TaskBase,
        place=(Literal[options], Field(description="area:room:object")),  # type: ignore[valid-type]
    )
    return create_model(
        "TaskList",
        __base__=TaskListBase,
        tasks=(list[task], Field(min_length=1, max_length=MAX_TASKS)),  # type: ignore[valid-type]
    )


class RatingsBase(Answer):
    ratings: list[int]


@cache
def ratings(count: int) -> type[RatingsBase]:
    """Exactly `count` importance ratings, 1 to 10."""
    return create_model(
        "Ratings",
        __base__=RatingsBase,
        ratings=(list[Rating], Field(min_length=count, max_length=count)),
    )


class ReactAnswer(Answer):
    """Asked as yes/no questions, as the paper does: small models answer those sensibly where
    a three-way choice gets them stuck on its first option."""

    talk: bool
    opening: str = Field("", max_length=200, description="the first line, if talking")
    change_plans: bool
    reason: str = Field(max_length=200)


class SpeakAnswer(Answer):
    utterance: str = Field(min_length=1, max_length=200)
    end: bool


class Commitment(Answer):
    day: str = Field(pattern=DAY, examples=["2023-02-14"])
    start: str = Field(pattern=CLOCK, examples=["17:00"])
    activity: str = Field(min_length=2, max_length=120, examples=["go to the party at Hobbs Cafe"])


class RelationshipNote(Answer):
    person: str
    view: str = Field(max_length=200)


class LookBackAnswer(Answer):
    summary: str = Field(min_length=2, max_length=400)
    importance: Rating
    relationships: list[RelationshipNote] = Field(max_length=4)
    commitment: Commitment | None = None


class FocalQuestionsBase(Answer):
    questions: list[str]


@cache
def focal_questions(count: int) -> type[FocalQuestionsBase]:
    return create_model(
        "FocalQuestions",
        __base__=FocalQuestionsBase,
        questions=(list[str], Field(min_length=count, max_length=count)),
    )


class Insight(Answer):
    question: int = Field(description="which question it answers")
    text: str = Field(min_length=2, max_length=200)
    evidence: list[int] = Field(max_length=5, description="numbers of supporting statements")
    importance: Rating


class InsightsAnswer(Answer):
    insights: list[Insight] = Field(max_length=15)


class AwarenessVerdict(Answer):
    """Does an interview answer show the person knows a fact? An enum, not a bool: small
    models keep to enums."""

    knows: Literal["yes", "no"]


class BelievabilityVerdict(Answer):
    """How believable an interview answer is, coming from this person (the reason first, so
    that a model thinks before it scores)."""

    reason: str = Field(max_length=200)
    score: Literal[1, 2, 3, 4, 5]
