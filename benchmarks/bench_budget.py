"""The model budget of an agent-day (issue 5): requests and tokens by purpose.

the_ville_25 for one full game day on the scripted model, which counts what the minds ask
(the scripted model answers instantly, so this measures how often the agents think, not how
fast). Memories are embedded with the real MiniLM model, as in a real run. Target: at most
150 requests per agent-day on average; the original implementation makes about 1,300.
"""

from __future__ import annotations

import time
from pathlib import Path

from benchmarks.harness import publish, table
from memory import SentenceTransformerEmbedder
from town.llm import ScriptedModel
from town.mind import scripted_rules
from town.scenario import check_places, load_scenario
from town.sim import Simulation
from town.world import load_town

SCENARIO = Path(__file__).resolve().parents[1] / "assets" / "scenarios" / "the_ville_25.toml"
TARGET = 150
ORIGINAL = 1300


def main() -> None:
    scenario = load_scenario(SCENARIO)
    town = load_town(scenario.map_path)
    check_places(scenario, town)
    model = ScriptedModel(scripted_rules(), seed=scenario.town.seed)
    sim = Simulation(scenario, town, model, embedder=SentenceTransformerEmbedder())
    began = time.perf_counter()
    sim.run()
    wall = time.perf_counter() - began
    sim.close()
    n = len(sim.agents)
    total = sim.meter.total()
    rows = []
    for purpose, usage in sorted(sim.meter.by_purpose.items(), key=lambda kv: -kv[1].requests):
        rows.append(
            [
                purpose,
                f"{usage.requests / n:.1f}",
                f"{usage.prompt_tokens / n:,.0f}",
                f"{usage.completion_tokens / n:,.0f}",
                f"{100 * usage.requests / total.requests:.0f}%",
            ]
        )
    rows.append(
        [
            "**all**",
            f"**{total.requests / n:.1f}**",
            f"{total.prompt_tokens / n:,.0f}",
            f"{total.completion_tokens / n:,.0f}",
            "100%",
        ]
    )
    per_day = total.requests / n
    verdict = "met" if per_day <= TARGET else "NOT met"
    memories = sum(len(a.mind.memory.stream) for a in sim.agents) / n
    body = "\n".join(
        [
            table(
                [
                    "purpose",
                    "requests / agent-day",
                    "prompt tokens / agent-day",
                    "completion tokens / agent-day",
                    "share of requests",
                ],
                rows,
            ),
            "",
            f"Target: at most {TARGET} requests per agent-day: **{verdict}** ({per_day:.0f}; "
            f"{ORIGINAL / per_day:.0f}x fewer than the original's ~{ORIGINAL}).",
            f"{n} agents, {sim.tick:,} ticks, {wall:.1f} s wall; {memories:.0f} memories per agent "
            f"at the end of the day. Tokens are the scripted model's estimate (4 characters a "
            f"token) of the real prompts.",
        ]
    )
    publish("bench_budget", "Model budget per agent-day (scripted model, the_ville_25)", body)


if __name__ == "__main__":
    main()
