"""Everything measured of one saved run, as tables, and its summary as one flat row (what a
batch of runs gathers into one CSV)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
import pandas as pd

from town.clock import Clock
from town.llm.base import LanguageModel
from town.record.export import RunData
from town.record.runfile import RunFolder
from town.report import activities, attendance, network, usage
from town.report.asking import Asker
from town.report.attendance import Attendance
from town.report.believability import believability, believability_table
from town.report.facts import (
    awareness_curve,
    beside_memory,
    first_known,
    interview_awareness,
    interview_shares,
    judged_figures,
)
from town.scenario import Scenario, load_scenario
from town.world import load_town


@dataclass
class RunMeasures:
    folder: RunFolder
    scenario: Scenario
    meta: dict[str, Any]
    clock: Clock
    agents: list[str]
    end: int  # the tick the run reached
    density: pd.DataFrame
    first_graph: nx.DiGraph
    last_graph: nx.DiGraph
    known: pd.DataFrame  # first memory of each fact, per agent
    spread: pd.DataFrame  # share aware over time, by memories
    attendance: list[Attendance]
    usage: pd.DataFrame
    spans: pd.DataFrame
    talks: pd.DataFrame
    # The sanity checks of the agents' answers (town.mind.sanity): counts per agent, failures.
    sanity: pd.DataFrame = field(default_factory=pd.DataFrame)
    sanity_failures: pd.DataFrame = field(default_factory=pd.DataFrame)
    interviews: pd.DataFrame = field(default_factory=pd.DataFrame)
    believability: pd.DataFrame = field(default_factory=pd.DataFrame)
    usage_caption: str = ""  # where the usage figures come from, and at which prices
    judge: str = ""  # the model that judged the interviews, for people: "openai (gpt-4o)"
    judge_weak: bool = False  # a small local model: its verdicts are not to be trusted

    @property
    def interview_spread(self) -> pd.DataFrame:
        return interview_shares(self.interviews)

    @property
    def judged(self) -> pd.DataFrame:
        """Each judged figure with the memories' figure beside it (facts.judged_figures)."""
        return judged_figures(self.interviews)

    @property
    def believability_table(self) -> pd.DataFrame:
        return believability_table(self.believability)


def measure(folder: RunFolder, prices: Path | None = None) -> RunMeasures:
    """Every measure that needs no model: from the run file alone. Usage is at the run's own
    prices unless a price table (`prices`, a TOML file) is given to price it again."""
    meta = folder.meta()
    scenario = load_scenario(folder.scenario)
    start = dt.datetime.fromisoformat(meta["start"]) if "start" in meta else scenario.town.start
    clock = Clock(start, int(meta.get("seconds_per_tick", scenario.town.seconds_per_tick)))
    states = list(network.checkpoints(folder))
    if not states:
        raise ValueError(f"{folder.path}: the run file holds no checkpoint")
    agents = list(states[0][2]["agents"])
    end = int(meta.get("ended", {}).get("tick", states[-1][0]))
    density, first_graph, last_graph = network.density_over_time(states)
    known = first_known(folder, scenario.facts, agents)
    spread = awareness_curve(known, agents, [t for t, _, _ in states] + [end], clock)
    data = RunData(folder)
    events = [f for f in scenario.facts if f.place is not None]
    town = load_town(scenario.map_path) if events else None
    tiles = attendance.tiles_at(states[0][2])
    came = [
        a
        for fact in events
        if town is not None
        and (a := attendance.attendance(fact, data, town, tiles, known, clock, end)) is not None
    ]
    used = usage.usage_by_purpose(folder, prices)
    checks, failures = sanity_of(states, clock)
    return RunMeasures(
        folder=folder,
        scenario=scenario,
        meta=meta,
        clock=clock,
        agents=agents,
        end=end,
        density=density,
        first_graph=first_graph,
        last_graph=last_graph,
        known=known,
        spread=spread,
        attendance=came,
        usage=used.table,
        spans=activities.activity_spans(data, end),
        talks=activities.talk_spans(data),
        sanity=checks,
        sanity_failures=failures,
        usage_caption=used.caption,
    )


def interview(
    measures: RunMeasures,
    model: LanguageModel,
    *,
    judge: LanguageModel | None = None,
    every_hours: float | None = None,
    conditions: Sequence[str] = (),
    believability_agents: int | None = None,
    per_category: int = 5,
) -> None:
    """The measures that ask the model: awareness interviews at the first and last checkpoints
    (and every `every_hours` between), and believability interviews under `conditions`. The
    answers are judged by `judge` (default: `model`), the awareness ones beside the memories."""
    asker = Asker()
    try:
        if measures.scenario.facts:
            ticks = interview_ticks(
                network.checkpoint_ticks(measures.folder), measures, every_hours
            )
            asked = interview_awareness(
                measures.folder, model, measures.scenario.facts, ticks, asker, judge
            )
            measures.interviews = beside_memory(asked, measures.known)
        if conditions:
            measures.believability = believability(
                measures.folder,
                model,
                asker,
                conditions,
                agents=believability_agents,
                per_category=per_category,
                judge=judge,
            )
    finally:
        asker.close()


def interview_ticks(
    checkpoints: list[int], measures: RunMeasures, every_hours: float | None
) -> list[int]:
    """The first and last checkpoints, and one about every `every_hours` between."""
    if not checkpoints:
        return []
    chosen = {checkpoints[0], checkpoints[-1]}
    if every_hours:
        step = max(1, round(every_hours * measures.clock.ticks_per_hour))
        chosen |= {
            max(t for t in checkpoints if t <= mark) for mark in range(0, checkpoints[-1], step)
        }
    return sorted(chosen)


# -- sanity: what the checks of the agents' answers found ----------------------------------------

SANITY_ITEMS = ("block", "task", "line", "summary")  # town.mind.sanity: what is checked
SANITY_PURPOSES = ("plan", "act", "converse")


def sanity_of(
    states: Sequence[tuple[int, str, dict[str, Any]]], clock: Clock
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The counts of each agent's checks at the last checkpoint (items checked and failed,
    by what they are; degenerate answers, by purpose; repairs, by kind), and each failure the
    checkpoints keep, once (each keeps an agent's latest ones, numbered). A run file older
    than the checks counts nothing."""
    rows = []
    for name, saved in states[-1][2]["agents"].items():
        kept = saved["mind"].get("sanity") or {}
        row: dict[str, Any] = {"agent": name}
        for what in SANITY_ITEMS:
            row[f"{what}_checked"] = kept.get("checked", {}).get(what, 0)
            row[f"{what}_failed"] = kept.get("failed", {}).get(what, 0)
        for purpose in SANITY_PURPOSES:
            row[f"degenerate_{purpose}"] = kept.get("degenerate", {}).get(purpose, 0)
        row.update({f"repair:{k}": n for k, n in sorted(kept.get("repairs", {}).items())})
        rows.append(row)
    failures: dict[tuple[str, int], dict[str, Any]] = {}
    for _, _, state in states:
        for name, saved in state["agents"].items():
            for f in (saved["mind"].get("sanity") or {}).get("failures", []):
                failures[name, f["n"]] = {
                    "agent": name,
                    "n": f["n"],
                    "tick": f["tick"],
                    "time": clock.at(f["tick"]),
                    "what": f["what"],
                    "kinds": ", ".join(f["kinds"]),
                    "text": f["text"],
                }
    counts = pd.DataFrame(rows).fillna(0)  # a kind of repair one agent never needed: 0
    repairs = [c for c in counts.columns if c.startswith("repair:")]
    counts[repairs] = counts[repairs].astype(int)
    columns = ["agent", "n", "tick", "time", "what", "kinds", "text"]
    listed = pd.DataFrame(list(failures.values()), columns=columns)
    return counts, listed.sort_values(["tick", "agent", "n"], ignore_index=True)


def sanity_shares(counts: pd.DataFrame) -> dict[str, float | None]:
    """The share of plan blocks, tasks and conversation lines that passed every check (None
    where none was checked)."""
    shares: dict[str, float | None] = {}
    for what in ("block", "task", "line"):
        checked = int(counts[f"{what}_checked"].sum()) if len(counts) else 0
        failed = int(counts[f"{what}_failed"].sum()) if len(counts) else 0
        shares[what] = 1 - failed / checked if checked else None
    return shares


def summary(measures: RunMeasures) -> dict[str, Any]:
    """One flat row: the run's headline numbers."""
    meta = measures.meta
    row: dict[str, Any] = {
        "run": str(measures.folder.path),
        "scenario": meta.get("scenario", measures.scenario.source.name),
        "seed": meta.get("seed"),
        "backend": meta.get("backend"),
        "model": meta.get("model"),
        "agents": len(measures.agents),
        "ticks": measures.end,
        "end_time": measures.clock.at(measures.end).isoformat(sep=" "),
        "density_start": measures.density.density.iloc[0],
        "density_end": measures.density.density.iloc[-1],
    }
    for fact, group in measures.spread.groupby("fact", sort=False):
        row[f"{fact}_aware_start"] = group.share.iloc[0]
        row[f"{fact}_aware_end"] = group.share.iloc[-1]
    asked = measures.interview_spread
    for fact, group in asked.groupby("fact", sort=False):
        row[f"{fact}_interview_start"] = group.share.iloc[0]
        row[f"{fact}_interview_end"] = group.share.iloc[-1]
    for fact, group in measures.judged.groupby("fact", sort=False):
        # A judged figure is only as good as its agreement with the memories (facts.py).
        row[f"{fact}_judge_disagrees"] = bool(group.disagree.any())
        row[f"{fact}_no_answers"] = int(group.no_answers.sum())
    if measures.judge:
        row["judge"], row["judge_weak"] = measures.judge, measures.judge_weak
    for came in measures.attendance:
        row[f"{came.fact}_invited"] = len(came.invited)
        row[f"{came.fact}_came"] = len(came.came)
    total = measures.usage[measures.usage.purpose == "all"]
    for column in ("requests", "tokens", "cost", "fallbacks", "mean_seconds"):
        row[column] = total[column].iloc[0] if len(total) else 0
    # Beside the fallbacks: answers valid but degenerate, and the share of items that passed.
    row["degenerate"] = int(measures.sanity.filter(like="degenerate_").to_numpy().sum())
    for what, share in sanity_shares(measures.sanity).items():
        row[f"sanity_{what}s"] = share
    table = measures.believability_table
    for _, line in table.iterrows():
        row[f"believability_{line.condition}"] = line.overall
    # numpy scalars as plain numbers, for JSON
    return {k: v.item() if hasattr(v, "item") else v for k, v in row.items()}
