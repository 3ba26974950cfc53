"""Helpers for tests: simulations of the shipped scenarios on the scripted model."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

from memory import Embedder, HashingEmbedder
from town.llm import LanguageModel, Request, ScriptedModel
from town.mind import scripted_rules
from town.scenario import Scenario, check_places
from town.sim import Simulation
from town.world import Town

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "assets" / "scenarios"
MAP = ROOT / "assets" / "maps" / "the_ville.tmx"


class _Sure(random.Random):
    def random(self) -> float:
        return 0.0


def talkative_rules(*names: str) -> dict[str, Any]:
    """The scripted rules, but an agent (of `names`, or any) that sees another always starts
    a conversation (with the scripted opening): for tests that need conversations whatever
    the seed and the prompts' wording, which the scripted model's chances hang on."""
    rules = scripted_rules()
    react = rules["react"]

    def talkative(request: Request, rng: random.Random) -> Any:
        chosen = not names or request.agent in names
        if chosen and request.facts.get("other") and request.facts["kind"] != "world":
            return react(request, _Sure())
        return react(request, rng)

    return {**rules, "react": talkative}


def simulate(
    scenario: Scenario,
    town: Town,
    seed: int | None = None,
    model: LanguageModel | None = None,
    embedder: Embedder | None = None,
    wait: bool = True,
    **changes: object,
) -> Simulation:
    """A simulation of the scenario (on the scripted model and the hashing embedder unless
    others are given); `changes` edit its [town] table; `wait`: see Simulation."""
    if changes:
        scenario = with_town(scenario, **changes)
    check_places(scenario, town)
    seed = scenario.town.seed if seed is None else seed
    model = model or ScriptedModel(scripted_rules(), seed=seed)
    return Simulation(
        scenario, town, model, seed=seed, embedder=embedder or HashingEmbedder(), wait=wait
    )


def with_town(scenario: Scenario, **changes: object) -> Scenario:
    copy = scenario.model_copy(update={"town": scenario.town.model_copy(update=changes)})
    copy._source = scenario.source
    return copy


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2023, 2, day, hour, minute)


def thinking_scenario(folder: Path, minutes: float, name: str = "the_ville_3.toml") -> Path:
    """A copy of a scenario whose agents take `minutes` of game time to think (the world goes
    on meanwhile), in `folder`, its map path made absolute."""
    text = (SCENARIOS / name).read_text()
    text = text.replace('map = "../maps/', f'map = "{(SCENARIOS.parent / "maps").as_posix()}/')
    at = text.index("[[agents]]")
    path = folder / f"thinking_{minutes:g}_{name}"
    path.write_text(f"{text[:at]}[config]\nthinking_minutes = {minutes}\n\n{text[at:]}")
    return path
