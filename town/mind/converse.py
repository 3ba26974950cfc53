"""Conversations: they span ticks, one utterance a turn, each written with memories of the
partners and the topic; afterwards each side looks back once (summary, relationships,
commitments) rather than after every line."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from memory import MemoryKind
from town.llm.base import LanguageModel
from town.mind.memories import bullet_list
from town.mind.prompts.schemas import LookBackAnswer, SpeakAnswer

if TYPE_CHECKING:
    from town.mind.mind import Mind, Situation


@dataclass(slots=True)
class Line:
    speaker: str
    text: str
    tick: int


@dataclass(slots=True)
class Conversation:
    """Who talks, in which arena, what has been said, and whose turn it is."""

    id: int
    people: list[str]
    arena: str
    started: int
    lines: list[Line] = field(default_factory=list)
    turn: int = 0  # index into people of the next speaker
    ended: int | None = None

    @property
    def speaker(self) -> str:
        return self.people[self.turn % len(self.people)]

    def say(self, speaker: str, text: str, tick: int) -> None:
        self.lines.append(Line(speaker, text, tick))
        self.turn = (self.people.index(speaker) + 1) % len(self.people)

    def others(self, name: str) -> list[str]:
        return [p for p in self.people if p != name]

    def transcript(self) -> str:
        return "\n".join(f'{line.speaker}: "{line.text}"' for line in self.lines) or "(nothing yet)"

    def get_state(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_state(cls, data: dict[str, Any]) -> Conversation:
        lines = [Line(**line) for line in data["lines"]]
        return cls(**{**data, "lines": lines})


async def speak(
    mind: Mind, model: LanguageModel, situation: Situation, talk: Conversation
) -> SpeakAnswer:
    partners = talk.others(mind.persona.name)
    topic = talk.lines[-1].text if talk.lines else ""
    memories = mind.memory.recall_many(
        [*partners, topic], situation.tick, mind.config.retrieve_k // 2
    )
    views = [
        f"What {mind.persona.first_name} thinks of {p}: {mind.relationships[p]}"
        for p in partners
        if p in mind.relationships
    ]
    last_turn = len(talk.lines) + 1 >= mind.config.conversation_max_turns
    answer = await mind.ask(
        model,
        situation,
        "converse",
        SpeakAnswer,
        template="speak",
        facts={
            "partners": partners,
            "memories": [m.text for m in memories],
            "lines": [(line.speaker, line.text) for line in talk.lines],
            "max_turns": mind.config.conversation_max_turns,
        },
        fallback=lambda: SpeakAnswer(utterance="Well, I should get going. See you!", end=True),
        max_tokens=120,
        time=f"{situation.now:%H:%M}",
        partners=" and ".join(partners),
        place=situation.here,
        relationship="\n".join(views),
        memories=bullet_list(memories),
        transcript=talk.transcript(),
    )
    if last_turn and not answer.end:
        return SpeakAnswer(utterance=answer.utterance, end=True)
    return answer


async def look_back(
    mind: Mind, model: LanguageModel, situation: Situation, talk: Conversation
) -> None:
    """Remember the conversation, update what one thinks of the others, keep promises made."""
    name = mind.persona.name
    partners = talk.others(name)
    answer = await mind.ask(
        model,
        situation,
        "converse",
        LookBackAnswer,
        template="look_back",
        facts={
            "partners": partners,
            "lines": [(line.speaker, line.text) for line in talk.lines],
            "date": situation.now.date().isoformat(),
        },
        fallback=lambda: LookBackAnswer(
            summary=f"{name} talked with {' and '.join(partners)}.", importance=3, relationships=[]
        ),
        max_tokens=300,
        time=f"{situation.now:%H:%M}",
        date=f"{situation.now:%A %B %d, %Y}",
        partners=" and ".join(partners),
        transcript=talk.transcript(),
    )
    with_whom = " and ".join(partners)
    mind.memory.note(
        f"Conversation with {with_whom}: {answer.summary}", MemoryKind.CHAT, answer.importance
    )
    for note in answer.relationships:
        if note.person in partners and note.view.strip():
            mind.relationships[note.person] = note.view.strip()
    if answer.commitment is not None:
        mind.commit(answer.commitment, situation)
