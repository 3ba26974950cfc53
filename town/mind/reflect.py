"""Reflection: when enough has happened, ask what it means and remember the answers.

Two requests, whatever the number of questions: the focal questions from the latest memories,
then the insights for all of them at once, each citing the memories it rests on (which may be
earlier reflections).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from memory import MemoryKind, MemoryRecord
from town.llm.base import LanguageModel
from town.mind.prompts.schemas import InsightsAnswer, focal_questions

if TYPE_CHECKING:
    from town.mind.mind import Mind, Situation


async def reflect(mind: Mind, model: LanguageModel, situation: Situation) -> None:
    config, memory = mind.config, mind.memory
    latest = memory.stream.newest(config.reflection_window)
    schema = focal_questions(config.focal_questions)
    first = mind.persona.first_name
    asked = await mind.ask(
        model,
        situation,
        "reflect",
        schema,
        template="focal_questions",
        facts={
            "memories": [m.text for m in latest],
            "count": config.focal_questions,
            "people": sorted(memory.acquaintances),
        },
        fallback=lambda: schema(
            questions=[f"What matters most to {first} lately?"] * config.focal_questions
        ),
        max_tokens=60 * config.focal_questions,
        memories="\n".join(f"- {m.text}" for m in reversed(latest)),
        count=config.focal_questions,
    )
    found = [memory.recall(q, situation.tick, config.retrieve_k) for q in asked.questions]
    # Statements are numbered once across all questions; insights cite them by number.
    statements: dict[int, MemoryRecord] = {}
    for records in found:
        for record in records:
            statements.setdefault(record.id, record)
    number_of = {memory_id: n for n, memory_id in enumerate(statements, 1)}
    numbers = {n: memory_id for memory_id, n in number_of.items()}
    lines = []
    for q, (text, records) in enumerate(zip(asked.questions, found, strict=True), 1):
        lines.append(f"Question {q}: {text}")
        lines += [f"  {number_of[r.id]}. {r.text}" for r in records]
    answer = await mind.ask(
        model,
        situation,
        "reflect",
        InsightsAnswer,
        template="insights",
        facts={
            "questions": asked.questions,
            "statements": [(n, statements[i].text) for n, i in numbers.items()],
            "per_question": config.insights_per_question,
        },
        fallback=lambda: InsightsAnswer(insights=[]),
        max_tokens=120 * config.focal_questions * 2,
        questions="\n".join(lines),
        per_question=config.insights_per_question,
    )
    per_question: dict[int, int] = {}
    for insight in answer.insights:
        kept = per_question.get(insight.question, 0)
        if kept >= config.insights_per_question:
            continue
        evidence = sorted({numbers[n] for n in insight.evidence if n in numbers})
        memory.note(insight.text.strip(), MemoryKind.REFLECTION, insight.importance, evidence)
        per_question[insight.question] = kept + 1
    memory.since_reflection = 0
