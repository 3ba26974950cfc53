"""Conversations: they span ticks, one utterance a turn, each written with memories of the
partners and the topic; afterwards each side looks back once (summary, relationships,
commitments) rather than after every line."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from memory import MemoryKind
from town.llm.base import LanguageModel
from town.mind import sanity
from town.mind.memories import bullet_list
from town.mind.prompts.schemas import LookBackAnswer, SpeakAnswer

if TYPE_CHECKING:
    from town.mind.mind import Mind, Situation

GOODBYE = "Well, I should get going. See you!"
WRONG = {  # what a line failed (sanity.line_problems), for the note that asks it again
    "repeat": "repeats what was already said",
    "persona": "copies {first_name}'s description instead of speaking",
}


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
    """The next line. One that repeats an earlier line or pastes the persona back is asked
    again once, with a note saying what was wrong; if it fails again, the agent takes its
    leave (GOODBYE). Every answer is counted in mind.sanity."""
    p = mind.persona
    partners = talk.others(p.name)
    topic = talk.lines[-1].text if talk.lines else ""
    memories = mind.memory.recall_many(
        [*partners, topic], situation.tick, mind.config.retrieve_k // 2
    )
    views = [
        f"What {p.first_name} thinks of {other}: {mind.relationships[other]}"
        for other in partners
        if other in mind.relationships
    ]
    # What it meant to talk about, if it started (or joined) the conversation.
    purpose = mind.purpose[1] if mind.purpose and mind.purpose[0] in partners else ""
    last_turn = len(talk.lines) + 1 >= mind.config.conversation_max_turns
    earlier = [line.text for line in talk.lines]
    ctx = sanity.Context(situation.now.date(), p.summary(), places=tuple(mind.known.names()))

    async def ask(note: str) -> SpeakAnswer:
        return await mind.ask(
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
                "purpose": purpose,
                "note": note,
            },
            fallback=lambda: SpeakAnswer(utterance=GOODBYE, end=True),
            max_tokens=120,
            time=f"{situation.now:%H:%M}",
            partners=" and ".join(partners),
            place=situation.here,
            relationship="\n".join(views),
            why=f"Why {p.first_name} wanted to talk: {purpose}" if purpose else "",
            memories=bullet_list(memories),
            transcript=talk.transcript(),
            note=note,
        )

    answer = await ask("")
    kinds = sanity.line_problems(answer.utterance, earlier, ctx)
    mind.sanity.record(situation.tick, "converse", [("line", answer.utterance, kinds)])
    if kinds:
        wrong = " and ".join(WRONG[k] for k in kinds).format(first_name=p.first_name)
        answer = await ask(
            f'(Not "{answer.utterance.strip()}": that {wrong}. Say something new, in '
            f"{p.first_name}'s own words.)"
        )
        kinds = sanity.line_problems(answer.utterance, earlier, ctx)
        kinds += ["fallback"] if kinds else []  # failed again: the agent takes its leave
        mind.sanity.record(situation.tick, "converse", [("line", answer.utterance, kinds)])
        if kinds:
            return SpeakAnswer(utterance=GOODBYE, end=True)
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
