"""The report of one run: a folder with index.md, its PNG pictures, the measured tables as
CSV and the headline numbers as summary.json."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from town.report import paper, plots
from town.report.metrics import RunMeasures, summary


def write_report(measures: RunMeasures, out: Path) -> list[Path]:
    """Write the report into `out` (created if need be); returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    m = measures
    files = [
        plots.relationship_graph(m.first_graph, out / "graph_start.png", "Who knows whom, start"),
        plots.relationship_graph(m.last_graph, out / "graph_end.png", "Who knows whom, end"),
        plots.density(m.density, out / "density.png", paper.DENSITY),
        plots.timeline(
            m.spans,
            m.talks,
            m.agents,
            m.clock,
            m.end,
            out / "timeline.png",
            [
                (f.name, m.clock.tick_of(f.at), m.clock.tick_of(f.until))
                for f in m.scenario.facts
                if f.at is not None and f.until is not None
            ],
        ),
    ]
    if m.scenario.facts:
        files.append(
            plots.spread(m.spread, m.interview_spread, out / "spread.png", paper.AWARENESS)
        )
    if len(m.usage):
        files.append(plots.usage(m.usage, out / "usage.png"))
    tables = {
        "density": m.density,
        "known": m.known,
        "spread": m.spread,
        "interviews": m.interviews,
        "judged": m.judged,  # each judged figure beside the memories', and `disagree`
        "attendance": pd.DataFrame(
            [
                {"fact": a.fact, "invited": a.invited, "came": a.came, "others": a.others}
                for a in m.attendance
            ]
        ),
        "usage": m.usage,
        "believability": m.believability,
        "believability_table": m.believability_table,
        "sanity": m.sanity,
        "sanity_failures": m.sanity_failures,
    }
    for name, frame in tables.items():
        if len(frame):
            path = out / f"{name}.csv"
            frame.to_csv(path, index=False)
            files.append(path)
    numbers = summary(m)
    path = out / "summary.json"
    path.write_text(json.dumps(numbers, indent=2, default=str) + "\n", encoding="utf-8")
    files.append(path)
    path = out / "index.md"
    path.write_text(markdown(m, numbers), encoding="utf-8")
    files.append(path)
    return files


def markdown(m: RunMeasures, numbers: dict[str, Any]) -> str:
    meta = m.meta
    lines = [
        f"# Report: {numbers['scenario']} (seed {numbers['seed']})",
        "",
        f"Run `{m.folder.path}`: {len(m.agents)} agents, {m.clock.at(0):%Y-%m-%d %H:%M} to "
        f"{m.clock.at(m.end):%Y-%m-%d %H:%M} ({m.end} ticks); model: "
        f"{meta.get('backend', '?')} ({meta.get('model', '?')}).",
        "",
        "## Beside the paper",
        "",
        "The paper's figures are those of its two-day Valentine's Day run of 25 agents "
        "(Park et al. 2023). Awareness by interviews is the paper's measure (each agent asked, "
        "the answer judged yes or no by the model); by memories is the cheap check between "
        "interviews (a memory with the fact's keywords).",
        "",
        *table(["measure", "paper", "this run"], _beside_paper(m, numbers)),
        "",
        *_judge_note(m),
        "## Relationships",
        "",
        "An edge from A to B: A has a memory of B (the same graph as the live one). The graph "
        "starts from the scenario's seed memories (valentine_25 seeds who knows whom to the "
        "paper's starting density, 0.167); the personas' backgrounds do not count. "
        f"Density {numbers['density_start']:.3f} at the start, {numbers['density_end']:.3f} "
        "at the end.",
        "",
        "![Who knows whom at the start](graph_start.png) ![Who knows whom at the end]"
        "(graph_end.png)",
        "",
        "![Network density over time](density.png)",
        "",
    ]
    if m.scenario.facts:
        lines += ["## Tracked facts", "", "![How the facts spread](spread.png)", ""]
        for fact in m.scenario.facts:
            lines += _fact_section(m, fact.name, fact.text, fact.interview_question)
    lines += ["## Activities", "", "![What each agent did](timeline.png)", ""]
    if len(m.usage):
        lines += ["## Model usage", "", m.usage_caption, "", *_usage_table(m.usage), ""]
        lines += ["![Model usage by purpose](usage.png)", ""]
    lines += _sanity_section(m, numbers)
    if len(m.believability):
        lines += _believability_section(m)
    return "\n".join(lines)


USAGE_HEADER = {  # column: heading
    "purpose": "purpose",
    "requests": "requests",
    "attempts": "attempts",
    "retries": "retries",
    "timeouts": "timeouts",
    "rate_limits": "429s",
    "server_errors": "server errors",
    "repairs": "repairs",
    "fallbacks": "fallbacks",
    "cache_hits": "cache hits",
    "errors": "errors",
    "prompt_tokens": "tokens in",
    "completion_tokens": "tokens out",
    "tokens": "tokens",
    "cost": "cost (USD)",
    "mean_seconds": "mean s",
    "p95_seconds": "p95 s",
}


def _usage_table(usage: pd.DataFrame) -> list[str]:
    def shown(column: str, value: Any) -> str:
        if pd.isna(value):  # not known: an old run file's calls do not tell
            return "—"
        if column == "cost":
            return f"{value:.4f}"
        if column.endswith("seconds"):
            return f"{value:.3f}"
        return value if isinstance(value, str) else f"{int(value):,}"

    return table(
        list(USAGE_HEADER.values()),
        [[shown(c, getattr(r, c)) for c in USAGE_HEADER] for r in usage.itertuples()],
    )


def _beside_paper(m: RunMeasures, n: dict[str, Any]) -> list[list[str]]:
    rows = []
    for fact in m.scenario.facts:
        ref = paper.AWARENESS.get(fact.name)
        shown = f"{ref[0]:.0%} → {ref[1]:.0%}" if ref else "—"
        if f"{fact.name}_interview_start" in n:
            asked = _span(n[f"{fact.name}_interview_start"], n[f"{fact.name}_interview_end"])
            if n.get(f"{fact.name}_judge_disagrees"):
                asked += " (memories disagree: see below)"
            rows.append([f"aware of the {fact.name} (interviews)", shown, asked])
            shown = "—"
        memory = _span(n[f"{fact.name}_aware_start"], n[f"{fact.name}_aware_end"])
        rows.append([f"aware of the {fact.name} (memories)", shown, memory])
    rows.append(
        [
            "network density",
            f"{paper.DENSITY[0]:.3f} → {paper.DENSITY[1]:.2f}",
            f"{n['density_start']:.3f} → {n['density_end']:.3f}",
        ]
    )
    for came in m.attendance:
        ref = paper.ATTENDANCE.get(came.fact)
        rows.append(
            [
                f"invited agents who came to the {came.fact} at the right time",
                f"{ref[0]} of {ref[1]}" if ref else "—",
                came.summary(),
            ]
        )
    return rows


def _span(start: float, end: float) -> str:
    return f"{start:.0%} → {end:.0%}"


def _fact_section(m: RunMeasures, name: str, text: str, question: str) -> list[str]:
    known = m.known[(m.known.fact == name) & m.known.tick.notna()].sort_values("tick")
    lines = [f"### {name}", "", f"> {text}", "", f'Interview question: "{question}"', ""]
    if len(known):
        lines += table(
            ["agent", "knew it from", "first memory of it"],
            [
                [r.agent, f"{m.clock.at(int(r.tick)):%a %H:%M}", _cell(r.memory, 120)]
                for r in known.itertuples()
            ],
        )
    else:
        lines.append("No agent has a memory of it.")
    lines.append("")
    lines += _judged_lines(m, name)
    for came in m.attendance:
        if came.fact == name:
            lines += [
                f"Invited (learned of it before it began): {', '.join(came.invited) or 'nobody'}.",
                f"Came at the right time: {', '.join(came.came) or 'nobody'}"
                + (f"; also there, not invited: {', '.join(came.others)}" if came.others else "")
                + ".",
                "",
            ]
    return lines


def _judge_note(m: RunMeasures) -> list[str]:
    """Who judged the interviews, and, for a small local model, that its verdicts are weak."""
    if not m.judge:
        return []
    text = f"The interviews were judged by {m.judge}."
    if m.judge_weak:
        text += (
            " **The judge is a small local model: its verdicts are weak.** Judging its own "
            "agents, such a model says yes to almost any answer; the memories' figures beside "
            "the judged ones are the check. Name a stronger judge: `town report SAVE "
            "--judge-llm openai --judge-model NAME`."
        )
    return [text, ""]


def _judged_lines(m: RunMeasures, name: str) -> list[str]:
    """Each interviewed checkpoint: who the judge said knew the fact beside who knew it by
    memory, a caution where they disagree, and the answers not put to the judge."""
    judged = m.judged[m.judged.fact == name]
    if not len(judged):
        return []

    def who(count: int, asked: int, agents: str) -> str:
        return f"{count} of {asked}" + (f": {agents.replace(';', ',')}" if agents else "")

    lines = table(
        ["checkpoint", "judged to know it (interviews)", "knew it (memories)", "no answer"],
        [
            [
                f"{r.time:%a %H:%M}",
                who(r.judged, r.asked, r.judged_agents),
                who(r.by_memory, r.asked, r.memory_agents),
                r.no_answers,
            ]
            for r in judged.itertuples()
        ],
    )
    lines.append("")
    for r in judged[judged.disagree].itertuples():
        lines += [f"**At {r.time:%a %H:%M} {r.caution}.**", ""]
    asked = m.interviews[m.interviews.fact == name]
    why = asked.screened[asked.screened != ""].value_counts().sort_index()
    if len(why):
        reasons = ", ".join(f"{reason}: {count}" for reason, count in why.items())
        lines += [
            "No answer, so not put to the judge and counted as not knowing: "
            f"{why.sum()} of {len(asked)} answers ({reasons}).",
            "",
        ]
    return lines


def _believability_section(m: RunMeasures) -> list[str]:
    t = m.believability_table
    categories = [
        c for c in t.columns if c not in ("condition", "overall", "answers", "no_answers")
    ]
    names = {
        "full": "full",
        "no-reflection": "no reflection",
        "no-reflection-planning": "no reflection, no planning",
        "no-observation-reflection-planning": "no observation, no reflection, no planning",
    }
    return [
        "## Believability",
        "",
        "Mean score (1-5) given by the judge model to each answer, per category of the paper's "
        "interview; each condition interviews the same agents at the run's end with kinds of "
        "memory hidden. The paper ranked answers by people (TrueSkill μ, beside): only the "
        "order of the conditions compares. A JSON dump or the persona pasted back is no answer: "
        "it is not judged and scores 1.",
        "",
        *table(
            ["condition", *categories, "overall", "answers", "no answer", "paper μ"],
            [
                [
                    r["condition"],
                    *(f"{r[c]:.2f}" for c in categories),
                    f"{r['overall']:.2f}",
                    r["answers"],
                    r["no_answers"],
                    str(paper.BELIEVABILITY.get(names.get(r["condition"], ""), "—")),
                ]
                for _, r in t.iterrows()
            ],
        ),
        "",
    ]


SANITY_LISTED = 100  # failures listed in index.md; sanity_failures.csv has them all


def _sanity_section(m: RunMeasures, n: dict[str, Any]) -> list[str]:
    """The share of plan blocks, tasks and lines that passed the checks (town.mind.sanity),
    the answers valid but degenerate beside the fallbacks, the repairs by kind, the failures."""
    counts, failures = m.sanity, m.sanity_failures
    lines = ["## Plan sanity", ""]
    if not len(counts) or not counts.filter(like="_checked").to_numpy().any():
        return [*lines, "This run file keeps no sanity checks (it is older than them).", ""]
    shares = []
    for what, label in (("block", "plan blocks"), ("task", "tasks"), ("line", "lines")):
        checked, failed = int(counts[f"{what}_checked"].sum()), int(counts[f"{what}_failed"].sum())
        share = n.get(f"sanity_{what}s")
        shares.append([label, checked, checked - failed, "—" if share is None else f"{share:.0%}"])
    used = m.usage.set_index("purpose") if len(m.usage) else None
    answers = [
        [
            purpose,
            *(
                int(used[c].get(purpose, 0)) if used is not None else "—"
                for c in ("requests", "fallbacks")
            ),
            int(counts[f"degenerate_{purpose}"].sum()),
        ]
        for purpose in ("plan", "act", "converse")
    ]
    repairs = [
        [k.removeprefix("repair:"), int(v)]
        for k, v in counts.filter(like="repair:").sum().items()
        if v
    ]
    lines += [
        "Each plan block the model gave is checked against the agent's routine (from waking, "
        "ending by bedtime, forward in time, meals at meal times, work at the workplace in "
        "working hours, no bed before bedtime, a sensible length, not the persona pasted back, "
        "not another day's event), as is each task (also: done at the place it names) and each "
        "conversation line; what fails is repaired (the routine, the block's activity at its "
        "place, the place named, a line asked again). A block the plan "
        "left out (a meal, work, its start) counts as a failing block.",
        "",
        *table(["items", "checked", "passed", "share"], shares),
        "",
        "Answers valid JSON but degenerate (an item failed), beside the fallbacks:",
        "",
        *table(["purpose", "requests", "fallbacks", "degenerate"], answers),
        "",
    ]
    if repairs:
        lines += [*table(["repair", "count"], repairs), ""]
    if len(failures):
        more = f", the first {SANITY_LISTED}; all" if len(failures) > SANITY_LISTED else ""
        lines += [
            f"Failing items ({len(failures)}{more} in sanity_failures.csv):",
            "",
            *table(
                ["time", "agent", "item", "what failed", "text"],
                [
                    [f"{r.time:%a %H:%M}", r.agent, r.what, r.kinds, _cell(r.text, 120)]
                    for r in failures.head(SANITY_LISTED).itertuples()
                ],
            ),
            "",
        ]
    lost = int(counts.filter(like="_failed").to_numpy().sum()) - len(failures)
    if lost > 0:  # more in an hour than a checkpoint keeps (town.mind.sanity.KEEP)
        lines += [f"{lost} more failures were counted but not kept word for word.", ""]
    return lines


def table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def _cell(value: Any, width: int = 200) -> str:
    text = str(value).replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"
