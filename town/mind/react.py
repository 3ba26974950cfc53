"""Reacting: on seeing someone or something new, carry on, change plans, or start talking."""

from __future__ import annotations

from typing import TYPE_CHECKING

from town.llm.base import LanguageModel
from town.mind.memories import bullet_list
from town.mind.prompts.schemas import ReactAnswer
from town.world.events import Event

if TYPE_CHECKING:
    from town.mind.mind import Mind, Situation


async def react(
    mind: Mind, model: LanguageModel, situation: Situation, event: Event, other: str | None
) -> ReactAnswer:
    """`other` is the agent the event is about, if any (only then is talking possible)."""
    k = mind.config.retrieve_k
    queries = [event.description] + ([other] if other else [])
    memories = mind.memory.recall_many(queries, situation.tick, k // 2 or 1)
    relationship = mind.relationships.get(other or "", "")
    answer = await mind.ask(
        model,
        situation,
        "react",
        ReactAnswer,
        facts={
            "event": event.description,
            "other": other,
            "kind": event.kind,
            "memories": [m.text for m in memories],
            "relationship": relationship,
            "place_public": situation.public_place,
        },
        fallback=lambda: ReactAnswer(talk=False, change_plans=False, reason="no answer"),
        max_tokens=160,
        time=f"{situation.now:%H:%M}",
        doing=situation.doing,
        event=event.description,
        question=f"Would {mind.persona.first_name} start a conversation with {other} now?"
        if other
        else f"Does this change {mind.persona.first_name}'s plans? (There is no one to talk "
        "to about it: talk is false.)",
        relationship=f"What {mind.persona.first_name} thinks of {other}: {relationship}"
        if relationship
        else "",
        memories=bullet_list(memories),
    )
    if answer.talk and other is None:
        return answer.model_copy(update={"talk": False})  # nobody to talk to
    return answer
