"""Interviews: anyone may ask an agent anything; it answers in character from its memories."""

from __future__ import annotations

from typing import TYPE_CHECKING

from memory import MemoryKind
from town.config import TownConfig
from town.llm.base import LanguageModel
from town.mind.memories import bullet_list

if TYPE_CHECKING:
    from town.mind.mind import Mind, Situation


async def interview(
    mind: Mind,
    model: LanguageModel,
    situation: Situation,
    question: str,
    remember: bool,
    touch: bool = True,
) -> str:
    """The answer. `remember`: kept as a memory; `touch`: the memories it recalled count as
    accessed (not for an agent whose mind is busy with a decision)."""
    config = mind.config
    kinds = visible_kinds(config)
    memories = mind.memory.recall(
        question,
        situation.tick,
        config.retrieve_k,
        None if len(kinds) == len(MemoryKind) else kinds,
        touch=touch,
    )
    # What it thinks of people comes from its conversations: out of sight without observation.
    views_of = mind.relationships if config.observe else {}
    named = [p for p in views_of if p in question or p.split()[0] in question]
    views = "\n".join(
        f"What {mind.persona.first_name} thinks of {p}: {mind.relationships[p]}" for p in named
    )
    answer = await mind.tell(
        model,
        situation,
        "interview",
        facts={
            "question": question,
            "memories": [m.text for m in memories],
            "plan": mind.plan.summary if mind.plan and config.plan else None,
        },
        fallback=lambda: "I'm sorry, I can't think straight right now.",
        max_tokens=200,
        time=f"{situation.now:%H:%M}",
        date=f"{situation.now:%A %B %d, %Y}",
        doing=situation.doing,
        memories=bullet_list(memories),
        relationships=views,
        question=question,
    )
    if remember:
        mind.memory.note(interview_memory(mind, question, answer), MemoryKind.CHAT, 4)
    return answer


def interview_memory(mind: Mind, question: str, answer: str) -> str:
    """What an agent remembers of an interview."""
    p = mind.persona
    return f'Someone asked {p.name} "{question}" and {p.first_name} answered "{answer}"'


def visible_kinds(config: TownConfig) -> set[str]:
    """The kinds of memory an interview may draw on under the config's ablations (the paper's:
    without observation, conversations go too, since they are heard)."""
    kinds = set(MemoryKind)
    if not config.observe:
        kinds -= {MemoryKind.OBSERVATION, MemoryKind.CHAT}
    if not config.reflect:
        kinds.discard(MemoryKind.REFLECTION)
    if not config.plan:
        kinds.discard(MemoryKind.PLAN)
    return {str(k) for k in kinds}
