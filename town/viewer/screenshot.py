"""The README's picture of the town: `python -m town.viewer.screenshot docs/town.png`.

Runs the_ville_25 headless on the scripted model (deterministic, no model to install) to a
busy moment of the day, when people are out and someone is talking, and renders one frame
of the live window with the dummy video driver: no display needed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")  # before pygame starts: no window needed

from memory import HashingEmbedder
from town.agents.state import Status
from town.clock import parse_time
from town.llm import ScriptedModel
from town.mind import scripted_rules
from town.scenario import ASSETS, check_places, load_scenario
from town.sim import Simulation
from town.viewer.app import DEFAULT_SPEED, Viewer, speed_of
from town.viewer.runner import SimRunner
from town.world import load_town

SCENARIO = ASSETS / "scenarios" / "the_ville_25.toml"
MOMENT = "2023-02-13 13:00"  # after lunch: the cafe is busy and people talk
CROWD = 8  # people in the picture around a conversation
MAX_SIZE = 1_000_000  # bytes: the README's picture stays small
FRAMES = 30


def busy_town(scenario_path: Path, moment: dt.datetime, limit_hours: float = 3) -> Simulation:
    """The simulation at `moment`, then on until a conversation goes on among a crowd (or,
    after `limit_hours`, any conversation)."""
    scenario = load_scenario(scenario_path)
    town = load_town(scenario.map_path)
    check_places(scenario, town)
    model = ScriptedModel(scripted_rules(), seed=scenario.town.seed)
    sim = Simulation(scenario, town, model, embedder=HashingEmbedder())
    sim.run(until=moment)
    give_up = sim.tick + int(limit_hours * sim.clock.ticks_per_hour)
    while sim.tick < give_up and _crowd(sim) < CROWD:
        sim.step()
    while not sim.talks and sim.tick < give_up + sim.clock.ticks_per_hour:
        sim.step()
    return sim


def _crowd(sim: Simulation) -> int:
    """How many people are awake in the picture around the best conversation under way."""
    return max((_around(sim, s) for s in _speakers(sim)), default=0)


def _speakers(sim: Simulation) -> list[str]:
    """Who spoke last in each conversation that has gone back and forth."""
    return [t.lines[-1].speaker for t in sim.talks.values() if len(t.lines) >= 2]


def _around(sim: Simulation, name: str) -> int:
    x, y = sim.by_name[name].state.tile
    return sum(
        1
        for a in sim.agents
        if abs(a.state.tile[0] - x) <= 13
        and abs(a.state.tile[1] - y) <= 10
        and a.state.status is not Status.ASLEEP
    )


def _speaker(sim: Simulation) -> str | None:
    """The speaker with the most people around."""
    speakers = _speakers(sim) or [t.lines[-1].speaker for t in sim.talks.values() if t.lines]
    return max(speakers, key=lambda s: (_around(sim, s), s), default=None)


def render(sim: Simulation, path: Path, size: tuple[int, int] = (1280, 800)) -> Path:
    # Never started: its snapshot is this moment, at the live window's default speed.
    runner = SimRunner(sim, speed=speed_of(DEFAULT_SPEED, sim.clock.seconds_per_tick))
    viewer = Viewer(runner, sim.scenario, sim.town, sim.clock, title="generative-town", size=size)
    speaker = _speaker(sim)
    if speaker is not None:
        runner.select(speaker)
        viewer.select(speaker)
        runner.publish()  # its thread is not running: the snapshot is built here
        viewer.following = True
    for _ in range(FRAMES):  # centred on the speaker, and every emoji drawn (one a frame)
        viewer.frame()
    path.parent.mkdir(parents=True, exist_ok=True)
    viewer.save_screenshot(path)
    runner.stop()
    _shrink(path)
    return path


def _shrink(path: Path) -> None:
    """Pixel art takes a palette well: 256 colours keep the picture and cut the file."""
    try:
        from PIL import Image
    except ImportError:  # Pillow is a dev dependency: without it the PNG stays as saved
        return
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT, dither=0)
    small.save(path, optimize=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path, help="the PNG to write, e.g. docs/town.png")
    parser.add_argument("--scenario", type=Path, default=SCENARIO)
    parser.add_argument("--at", default=MOMENT, help=f'game time (default "{MOMENT}")')
    args = parser.parse_args(argv)
    sim = busy_town(args.scenario, parse_time(args.at))
    path = render(sim, args.output)
    size = path.stat().st_size
    print(f"wrote {path} ({size / 1000:.0f} kB) at {sim.now:%Y-%m-%d %H:%M}")
    return 0 if size <= MAX_SIZE else 1


if __name__ == "__main__":
    sys.exit(main())
