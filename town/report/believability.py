"""Believability interviews, as the paper's evaluation ran them: each agent, restored at the end
of a run, answers questions in five categories; a model judges each answer (1-5); and the same
run is interviewed again under ablations that hide kinds of memory (section 6 of the paper:
no reflection; no reflection and no planning; no observation, reflection or planning).

The ablations are TownConfig's flags, set on each restored mind: an interview then draws only
on the memories they leave visible (see town.mind.interview.visible_kinds).

An answer that is a JSON dump or the persona pasted back (town.report.asking.screen) is not
judged: it scores 1, the least, and counts among the condition's `no_answers`.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from town.llm.base import LanguageModel
from town.mind.prompts.schemas import BelievabilityVerdict
from town.record.restore import open_run
from town.record.runfile import RunFolder
from town.report.asking import Asker, judge_request, screen
from town.sim import Simulation

# The paper's five categories, five questions each ({other} and {another}: people the agent
# knows best; its exact questions name people of its own town).
QUESTIONS: dict[str, tuple[str, ...]] = {
    "self-knowledge": (
        "Give an introduction of yourself.",
        "What's your occupation?",
        "What is your interest?",
        "Who do you live with?",
        "Describe your typical weekday schedule in broad strokes.",
    ),
    "memory": (
        "Who is {other}?",
        "Who is {another}?",
        "What happened to you today?",
        "Who did you talk with recently, and about what?",
        "Is anything special happening in town these days?",
    ),
    "plans": (
        "What will you be doing at 6 am today?",
        "What will you be doing at 6 pm today?",
        "What will you have just finished doing at 1 pm today?",
        "What will you have just finished doing at 12 pm today?",
        "Where will you be sleeping at 10 pm today?",
    ),
    "reactions": (
        "Your breakfast is burning! What would you do?",
        "The bathroom is occupied. What would you do?",
        "You need to cook dinner but your refrigerator is empty. What would you do?",
        "You see your friend walking by on the street. What would you do or say to your friend?",
        "You see fire on the street. What would you do?",
    ),
    "reflections": (
        "If you could spend time with one person you met recently, who would it be and why?",
        "What inspires you in life the most right now, and why?",
        "If you had to name a problem you need to solve, what would it be?",
        "Whom do you trust most in town, and why?",
        "What have you learned about yourself lately?",
    ),
}
CATEGORIES = tuple(QUESTIONS)
# Condition -> the TownConfig flags it sets; the paper's order, best to worst.
CONDITIONS: dict[str, dict[str, bool]] = {
    "full": {},
    "no-reflection": {"reflect": False},
    "no-reflection-planning": {"reflect": False, "plan": False},
    "no-observation-reflection-planning": {"observe": False, "reflect": False, "plan": False},
}
COLUMNS = ["condition", "agent", "category", "question", "answer", "screened", "score", "reason"]


def believability(
    folder: RunFolder,
    model: LanguageModel,
    asker: Asker,
    conditions: Sequence[str] = tuple(CONDITIONS),
    agents: int | None = None,
    per_category: int = 5,
    tick: int | None = None,
    judge: LanguageModel | None = None,
) -> pd.DataFrame:
    """Every answer and its score, under each condition (from the same checkpoint: the run's
    last, or the latest at or before `tick`). `agents`: only the first so many. `judge`
    scores the answers (default: `model`)."""
    rows = []
    for condition in conditions:
        sim = open_run(folder, model, tick)  # afresh: interviews touch memories' recency
        ablate(sim, condition)
        names = [a.name for a in sim.agents][:agents]
        asked = [
            (name, category, question)
            for name in names
            for category in CATEGORIES
            for question in questions_for(sim, name, category, per_category)
        ]
        answers = asker.interviews(sim, [(n, q) for n, _, q in asked])
        # No topic check: "What inspires you?" may be answered in words of its own.
        screened = [
            screen(answer, sim.by_name[name].persona.summary())
            for (name, _, _), answer in zip(asked, answers, strict=True)
        ]
        real = [i for i, why in enumerate(screened) if not why]
        requests = [
            judge_request(
                "judge_believability",
                BelievabilityVerdict,
                agent=name,
                tick=sim.tick,
                facts={"answer": answer, "category": category},
                fallback=lambda: BelievabilityVerdict(reason="no verdict", score=1),
                max_tokens=120,
                name=name,
                persona=sim.by_name[name].persona.summary(),
                category=category,
                question=question,
                answer=answer,
            )
            for (name, category, question), answer in ((asked[i], answers[i]) for i in real)
        ]
        said = asker.verdicts(judge or sim.meter, requests, BelievabilityVerdict)
        verdicts = dict(zip(real, said, strict=True))
        for i, ((name, category, question), answer) in enumerate(zip(asked, answers, strict=True)):
            why = screened[i]
            verdict = (
                verdicts[i]
                if i in verdicts
                else BelievabilityVerdict(reason=f"no answer: {why}", score=1)
            )
            rows.append(
                {
                    "condition": condition,
                    "agent": name,
                    "category": category,
                    "question": question,
                    "answer": answer,
                    "screened": why,
                    "score": verdict.score,
                    "reason": verdict.reason,
                }
            )
    return pd.DataFrame(rows, columns=COLUMNS)


def ablate(sim: Simulation, condition: str) -> None:
    """Set the condition's flags on every mind of a restored run."""
    try:
        flags = CONDITIONS[condition]
    except KeyError:
        raise ValueError(
            f"no condition {condition!r}; the conditions are {', '.join(CONDITIONS)}"
        ) from None
    for agent in sim.agents:
        agent.mind.config = agent.mind.config.model_copy(update=flags)


def questions_for(sim: Simulation, name: str, category: str, count: int) -> list[str]:
    """The category's first `count` questions, with the people the agent knows best."""
    mind = sim.by_name[name].mind
    known = [p for p in sorted(mind.relationships) if p != name]
    known += [p for p in sorted(mind.memory.acquaintances) if p not in known and p != name]
    known += [a.name for a in sim.agents if a.name != name and a.name not in known]
    other, another = [*known, "a neighbour", "a neighbour"][:2]
    return [q.format(other=other, another=another) for q in QUESTIONS[category][:count]]


def believability_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Mean score per condition (rows, in the paper's order) and category, and overall."""
    if frame.empty:
        return pd.DataFrame(columns=["condition", *CATEGORIES, "overall", "answers", "no_answers"])
    table = frame.pivot_table(index="condition", columns="category", values="score", aggfunc="mean")
    table = table.reindex(columns=[c for c in CATEGORIES if c in table.columns])
    table["overall"] = frame.groupby("condition").score.mean()
    table["answers"] = frame.groupby("condition").score.size()
    table["no_answers"] = (frame.screened != "").groupby(frame.condition).sum()
    order = [c for c in CONDITIONS if c in table.index]
    return table.reindex(order).reset_index()
