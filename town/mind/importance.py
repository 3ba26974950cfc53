"""Importance: everything an agent saw since its last rating, rated in one request."""

from __future__ import annotations

from typing import TYPE_CHECKING

from town.llm.base import LanguageModel
from town.mind.prompts.schemas import ratings

if TYPE_CHECKING:
    from town.mind.mind import Mind, Situation

MAX_PER_REQUEST = 16  # keeps a small model's answer short; the rest wait for the next round
FALLBACK_RATING = 3


async def rate_sights(
    mind: Mind, model: LanguageModel, situation: Situation
) -> tuple[list[str], list[int]]:
    """The ratings of what waits to be rated (the first MAX_PER_REQUEST of it). The caller
    gives them to the memory (`AgentMemory.rate`) when it sees fit: the request runs
    alongside the rest of the agent's thinking, which does not need it."""
    texts = mind.memory.unrated[:MAX_PER_REQUEST]
    if not texts:
        return [], []
    schema = ratings(len(texts))
    answer = await mind.ask(
        model,
        situation,
        "importance",
        schema,
        facts={"texts": texts},
        fallback=lambda: schema(ratings=[FALLBACK_RATING] * len(texts)),
        max_tokens=10 + 6 * len(texts),
        items="\n".join(f"{i}. {text}" for i, text in enumerate(texts, 1)),
    )
    return texts, answer.ratings
