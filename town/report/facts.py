"""How tracked facts spread: the cheap check over memories, at every tick, and the paper's
measure, interviews judged yes or no, at chosen checkpoints.

An agent holds a fact, by its memories, from the first memory that mentions it (all of the
fact's keywords, or, without keywords, an embedding at least `similarity` close to the fact's
text). Knowing does not wear off: the curve only rises.

Every judged figure keeps the memories' figure beside it (`judged_figures`): a judge that says
yes to anything shows as a town that knows what its memories do not.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from town.clock import Clock
from town.llm.base import LanguageModel
from town.mind.prompts.schemas import AwarenessVerdict
from town.record.restore import embedder_named, open_run
from town.record.runfile import RunFolder
from town.report.asking import Asker, judge_request, screen
from town.scenario import TrackedFact

KNOWN_COLUMNS = ["fact", "agent", "tick", "memory"]


def first_known(
    folder: RunFolder, facts: Sequence[TrackedFact], agents: Sequence[str]
) -> pd.DataFrame:
    """For each fact and agent, the tick of its first memory holding the fact (NaN if none)
    and that memory's text."""
    db = folder.reader()
    try:
        rows = db.execute(
            "SELECT agent, created, text, embedding FROM memory ORDER BY id"
        ).fetchall()
    finally:
        db.close()
    found: dict[tuple[str, str], tuple[int, str]] = {}
    similar = [f for f in facts if not f.keywords]
    closeness = _closeness(folder, similar, rows) if similar and rows else {}
    for i, (agent, created, text, _) in enumerate(rows):
        for fact in facts:
            key = (fact.name, agent)
            held = fact.mentioned_in(text)
            if held is None:
                held = bool(closeness[fact.name][i] >= fact.similarity)
            if held and (key not in found or created < found[key][0]):
                found[key] = (created, text)
    out = []
    for fact in facts:
        for agent in agents:
            tick, text = found.get((fact.name, agent), (np.nan, ""))
            out.append({"fact": fact.name, "agent": agent, "tick": tick, "memory": text})
    return pd.DataFrame(out, columns=KNOWN_COLUMNS)


def _closeness(
    folder: RunFolder, facts: Sequence[TrackedFact], rows: list[tuple]
) -> dict[str, np.ndarray]:
    """Cosine of every memory with each fact's text, with the embedder the run used."""
    embedder = embedder_named(folder.meta().get("embedder", ""))
    matrix = np.stack([np.frombuffer(blob, dtype="<f4") for *_, blob in rows])
    targets = embedder.embed([f.text for f in facts])
    return {f.name: matrix @ targets[j] for j, f in enumerate(facts)}


def awareness_curve(
    known: pd.DataFrame, agents: Sequence[str], ticks: Sequence[int], clock: Clock
) -> pd.DataFrame:
    """The share of agents holding each fact at each of `ticks` and at every first learning."""
    rows = []
    for fact, group in known.groupby("fact", sort=False):
        learned = group.tick.dropna().astype(int)
        for tick in sorted({*ticks, *learned}):
            aware = int((learned <= tick).sum())
            rows.append(
                {
                    "fact": fact,
                    "tick": tick,
                    "time": clock.at(tick),
                    "aware": aware,
                    "share": aware / len(agents) if agents else 0.0,
                }
            )
    return pd.DataFrame(rows, columns=["fact", "tick", "time", "aware", "share"])


INTERVIEW_COLUMNS = ["fact", "tick", "time", "agent", "question", "answer", "screened", "knows"]


def interview_awareness(
    folder: RunFolder,
    model: LanguageModel,
    facts: Sequence[TrackedFact],
    ticks: Sequence[int],
    asker: Asker,
    judge: LanguageModel | None = None,
) -> pd.DataFrame:
    """The paper's measure: at each checkpoint of `ticks`, every agent is asked about each
    fact and the model (or `judge`) judges whether the answer shows it knows. An answer that
    `screen` finds is no answer is not judged: it is counted as not knowing, and `screened`
    says why."""
    rows = []
    for tick in ticks:
        sim = open_run(folder, model, tick)
        names = [a.name for a in sim.agents]
        asked = [(name, fact) for fact in facts for name in names]
        answers = asker.interviews(sim, [(n, f.interview_question) for n, f in asked])
        screened = [
            screen(
                answer,
                sim.by_name[name].persona.summary(),
                [fact.interview_question, fact.text, *fact.keywords],
                name,
            )
            for (name, fact), answer in zip(asked, answers, strict=True)
        ]
        real = [i for i, why in enumerate(screened) if not why]
        requests = [
            judge_request(
                "judge_awareness",
                AwarenessVerdict,
                agent=name,
                tick=sim.tick,
                facts={"fact": fact.text, "keywords": fact.keywords, "answer": answer},
                fallback=lambda: AwarenessVerdict(knows="no"),
                max_tokens=20,
                name=name,
                question=fact.interview_question,
                answer=answer,
                fact=fact.text,
            )
            for (name, fact), answer in ((asked[i], answers[i]) for i in real)
        ]
        said = asker.verdicts(judge or sim.meter, requests, AwarenessVerdict)
        verdicts = dict(zip(real, said, strict=True))
        for i, ((name, fact), answer) in enumerate(zip(asked, answers, strict=True)):
            rows.append(
                {
                    "fact": fact.name,
                    "tick": sim.tick,
                    "time": sim.now,
                    "agent": name,
                    "question": fact.interview_question,
                    "answer": answer,
                    "screened": screened[i],
                    "knows": i in verdicts and verdicts[i].knows == "yes",
                }
            )
    return pd.DataFrame(rows, columns=INTERVIEW_COLUMNS)


def interview_shares(interviews: pd.DataFrame) -> pd.DataFrame:
    """Share of agents judged to know each fact, per interviewed checkpoint."""
    if interviews.empty:
        return pd.DataFrame(columns=["fact", "tick", "time", "aware", "share"])
    grouped = interviews.groupby(["fact", "tick", "time"], sort=False).knows
    out = grouped.agg(aware="sum", share="mean").reset_index()
    return out[["fact", "tick", "time", "aware", "share"]]


def beside_memory(interviews: pd.DataFrame, known: pd.DataFrame) -> pd.DataFrame:
    """The answers, each with whether the agent held the fact by its memories at that tick."""
    first = known.set_index(["fact", "agent"]).tick
    held = [
        bool(first.get((fact, agent), np.nan) <= tick)  # NaN (never held): False
        for fact, agent, tick in zip(
            interviews.fact, interviews.agent, interviews.tick, strict=True
        )
    ]
    return interviews.assign(by_memory=pd.Series(held, index=interviews.index, dtype=bool))


JUDGED_COLUMNS = [
    "fact", "tick", "time", "asked", "judged", "by_memory", "no_answers",
    "judged_agents", "memory_agents", "disagree", "caution",
]  # fmt: skip


def judged_figures(interviews: pd.DataFrame) -> pd.DataFrame:
    """Per fact and interviewed checkpoint: who the judge said knew it, who knew it by memory,
    how many gave no answer, and whether the two figures disagree: when they differ on more
    than a quarter of the agents asked. (A few may differ honestly: a memory worded otherwise
    than the keywords, one not recalled; more is the judge's doing, or the check's.)"""
    if interviews.empty:
        return pd.DataFrame(columns=JUDGED_COLUMNS)
    rows = []
    for (fact, tick), group in interviews.groupby(["fact", "tick"], sort=False):
        asked = len(group)
        yes, held = set(group.agent[group.knows]), set(group.agent[group.by_memory])
        differ = len(yes ^ held)
        disagree = 4 * differ > asked
        caution = (
            f"the judge says {len(yes)} of {asked} knew it; their memories say "
            f"{len(held)} of {asked}"
            + (f" (they differ on {differ} agents)" if differ != abs(len(yes) - len(held)) else "")
            + ": treat the judged figure with care"
        )
        rows.append(
            {
                "fact": fact,
                "tick": tick,
                "time": group.time.iloc[0],
                "asked": asked,
                "judged": len(yes),
                "by_memory": len(held),
                "no_answers": int((group.screened != "").sum()),
                "judged_agents": "; ".join(sorted(yes)),
                "memory_agents": "; ".join(sorted(held)),
                "disagree": disagree,
                "caution": caution if disagree else "",
            }
        )
    return pd.DataFrame(rows, columns=JUDGED_COLUMNS)
