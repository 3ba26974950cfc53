"""Interviews: anyone may ask an agent anything; it answers in character from its memories."""

from __future__ import annotations

from typing import TYPE_CHECKING

from memory import MemoryKind
from town.llm.base import LanguageModel
from town.mind.memories import bullet_list

if TYPE_CHECKING:
    from town.mind.mind import Mind, Situation


async def interview(
    mind: Mind, model: LanguageModel, situation: Situation, question: str, remember: bool
) -> str:
    memories = mind.memory.recall(question, situation.tick, mind.config.retrieve_k)
    named = [p for p in mind.relationships if p in question or p.split()[0] in question]
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
            "plan": mind.plan.summary if mind.plan else None,
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
        mind.memory.note(
            f'Someone asked {mind.persona.name} "{question}" and '
            f'{mind.persona.first_name} answered "{answer}"',
            MemoryKind.CHAT,
            4,
        )
    return answer
