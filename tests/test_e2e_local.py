"""One game day through the embedded local model: the real llama.cpp server with the bundled
Qwen model, the real openai client over HTTP on 127.0.0.1, the real MiniLM embedder.

The scenario keeps three villagers together at Hobbs Cafe for a short waking day with a low
reflection threshold, so a conversation and a reflection happen within minutes of model time
on two cores. This tests that everything works end to end, never what a small model says.
"""

from __future__ import annotations

import pytest

from memory import MemoryKind, SentenceTransformerEmbedder
from tests.support import ROOT
from town.llm.select import BackendSpec, open_model
from town.mind import scripted_rules
from town.scenario import check_places, load_scenario
from town.sim import Simulation

SCENARIO = ROOT / "tests" / "scenarios" / "ville3_short_day.toml"


@pytest.mark.slow
def test_a_day_through_the_local_model(town) -> None:
    scenario = load_scenario(SCENARIO)
    check_places(scenario, town)
    with open_model(BackendSpec("local"), seed=scenario.town.seed, rules=scripted_rules()) as llm:
        assert "llama.cpp" in llm.description
        sim = Simulation(scenario, town, llm, embedder=SentenceTransformerEmbedder())
        sim.run()
        sim.close()
    assert sim.now == scenario.end and sim.think_failures == 0
    usage = sim.meter.total()
    assert usage.requests > 10 and usage.completion_tokens > 0
    assert usage.fallbacks < usage.requests / 2  # mostly real, schema-valid answers
    kinds = {kind: 0 for kind in MemoryKind}
    for agent in sim.agents:
        stream = agent.mind.memory.stream
        assert stream.of_kind(MemoryKind.PLAN), f"{agent.name} made no plan"
        own = [m for m in stream.of_kind(MemoryKind.OBSERVATION) if m.text.startswith(agent.name)]
        assert own, f"{agent.name} remembers no action of its own"
        for kind in MemoryKind:
            kinds[kind] += len(stream.of_kind(kind))
        for reflection in stream.of_kind(MemoryKind.REFLECTION):
            assert all(e in stream for e in reflection.evidence)
    assert kinds[MemoryKind.CHAT] >= 1, "no conversation happened"
    assert kinds[MemoryKind.REFLECTION] >= 1, "no reflection happened"
