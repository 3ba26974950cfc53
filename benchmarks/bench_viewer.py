"""The live window's frame rate while the simulation runs in its thread.

- frames per second with 25 and 100 agents, with the dummy video driver and in a real X
  window (Xvfb), the simulation stepping on the scripted model at 10x and flat out;
- the longest frame while every model request takes 2 s (the window must not wait on it).

The window is zoomed out to half size over the middle of the town (most agents on screen,
names shown) with one agent's panel open. Frames are paced at 60 per second, as in use; the
work per frame says how much room is left. Each measurement runs in a fresh process.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.harness import percentile, publish, table

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "assets" / "scenarios" / "the_ville_25.toml"
START = dt.datetime(2023, 2, 13, 8, 0)  # everyone is up: plans, walks and talks
SECONDS = 8.0  # of frames per measurement
SLOW = 2.0  # seconds each model request takes in the slow-model measurement
SLOW_SECONDS = 20.0  # of frames with the slow model: a few ticks get done


class SlowModel:
    """The scripted model, answering every request after `delay` seconds."""

    def __init__(self, model, delay: float) -> None:
        self.model = model
        self.delay = delay

    async def complete(self, request):
        await asyncio.sleep(self.delay)
        return await self.model.complete(request)


def measure(agents: int, speed: str, slow: bool) -> dict[str, float]:
    """One measurement, in this process: the window's frames over SECONDS (SLOW_SECONDS
    with the slow model)."""
    seconds = SLOW_SECONDS if slow else SECONDS
    from memory import HashingEmbedder
    from town.llm import ScriptedModel
    from town.mind import scripted_rules
    from town.record import Recorder, RunFolder
    from town.scenario import check_places, load_scenario
    from town.sim import Simulation
    from town.viewer.app import Viewer, speed_of
    from town.viewer.launch import frames_first
    from town.viewer.runner import SimRunner
    from town.world import load_town

    base = load_scenario(SCENARIO)
    town = load_town(base.map_path)
    copies = agents // len(base.agents)
    people = [
        a.model_copy(update={"name": f"{a.name} {i}" if i else a.name})
        for i in range(copies)
        for a in base.agents
    ]
    scenario = base.model_copy(
        update={"agents": people, "town": base.town.model_copy(update={"start": START})}
    )
    scenario._source = base.source
    check_places(scenario, town)
    model = ScriptedModel(scripted_rules(), seed=scenario.town.seed)
    sim = Simulation(
        scenario,
        town,
        SlowModel(model, SLOW) if slow else model,
        embedder=HashingEmbedder(),
    )
    folder = RunFolder.create(
        Path(tempfile.mkdtemp(prefix="bench-viewer-")) / "run", SCENARIO, scenario.map_path
    )

    def record(sim: Simulation) -> None:
        """As `town run` does with a window: the run file, written from the sim's thread."""
        recorder = Recorder(folder, sim, {"seed": sim.seed})
        sim.observers.append(recorder)

    runner = SimRunner(sim, speed=speed_of(speed, sim.clock.seconds_per_tick), prepare=record)
    viewer = Viewer(runner, scenario, town, sim.clock, title="bench", size=(1280, 800))
    viewer.camera.zoom_by(-2)
    viewer.camera.center_on(town.width * town.tile_size / 2, town.height * town.tile_size / 2)
    viewer.select(sim.agents[0].name)
    viewer.frame_times = []
    work: list[float] = []
    in_flight = 0
    thinking = 0

    def watch() -> bool:
        nonlocal in_flight, thinking
        in_flight = max(in_flight, runner.in_flight)
        thinking = max(thinking, len(runner.thinking))
        return False

    frame = viewer.frame

    def timed_frame(now: float | None = None) -> None:
        began = time.perf_counter()
        frame(now)
        work.append(time.perf_counter() - began)

    viewer.frame = timed_frame  # type: ignore[method-assign]
    with frames_first():
        runner.start()
        tick0 = runner.snapshot.tick
        viewer.run(seconds=seconds, until=watch)
        ticks = runner.snapshot.tick - tick0
    began = time.perf_counter()
    stopped = runner.stop(timeout=30)
    stop_s = time.perf_counter() - began
    shutil.rmtree(folder.path.parent, ignore_errors=True)
    times = viewer.frame_times[1:]  # the first includes the start-up
    return {
        "fps": len(times) / sum(times),
        "p99_ms": percentile(times, 99) * 1000,
        "max_ms": max(times) * 1000,
        "work_ms": statistics.fmean(work) * 1000,
        "ticks": ticks,
        "ticks_per_s": ticks / seconds,
        "in_flight": in_flight,
        "thinking": thinking,
        "stop_s": stop_s if stopped else float("inf"),
    }


class Xvfb:
    """A private X server for the real-window measurements."""

    def __enter__(self) -> str:
        read, write = os.pipe()
        self.server = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x800x24"],
            pass_fds=(write,),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(write)
        with os.fdopen(read) as announced:
            return ":" + announced.readline().strip()

    def __exit__(self, *exc: object) -> None:
        self.server.terminate()
        self.server.wait(timeout=10)


def run_one(agents: int, speed: str, slow: bool, display: str | None) -> dict[str, float]:
    env = {**os.environ, "SDL_VIDEODRIVER": "x11" if display else "dummy"}
    if display:
        env["DISPLAY"] = display
    args = [sys.executable, "-m", "benchmarks.bench_viewer", "--one", str(agents), speed]
    done = subprocess.run(
        [*args, "slow" if slow else "fast"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def row(driver: str, agents: int, speed: str, m: dict[str, float]) -> list[object]:
    return [
        driver,
        agents,
        speed,
        f"{m['fps']:.1f}",
        f"{m['p99_ms']:.1f}",
        f"{m['max_ms']:.1f}",
        f"{m['work_ms']:.1f}",
        f"{m['ticks_per_s']:,.0f}",
    ]


def main() -> None:
    rows = []
    slow_rows = []
    displays: list[tuple[str, str | None]] = [("dummy", None)]
    xvfb = Xvfb() if shutil.which("Xvfb") else None
    display = xvfb.__enter__() if xvfb else None
    if display:
        displays.append(("Xvfb (x11)", display))
    try:
        for driver, where in displays:
            for agents in (25, 100):
                for speed in ("10x", "max"):
                    m = run_one(agents, speed, False, where)
                    rows.append(row(driver, agents, speed, m))
            m = run_one(25, "max", True, where)
            slow_rows.append(
                [
                    driver,
                    25,
                    f"{m['fps']:.1f}",
                    f"{m['p99_ms']:.1f}",
                    f"{m['max_ms']:.1f}",
                    f"{m['in_flight']:.0f}",
                    f"{m['thinking']:.0f}",
                    f"{m['ticks']:.0f} in {SLOW_SECONDS:.0f} s",
                    f"{m['stop_s']:.2f}",
                ]
            )
    finally:
        if xvfb:
            xvfb.__exit__()
    headers = [
        "video driver",
        "agents",
        "speed",
        "frames/s",
        "p99 frame ms",
        "longest frame ms",
        "work per frame ms",
        "ticks/s",
    ]
    slow_headers = [
        "video driver",
        "agents",
        "frames/s",
        "p99 frame ms",
        "longest frame ms",
        "requests in flight (peak)",
        "agents thinking (peak)",
        "ticks done",
        "close s",
    ]
    body = "\n".join(
        [
            "The scripted model; "
            f"{SECONDS:.0f} s of frames per row, paced at 60 frames/s (the window's cap); the "
            "window 1280x800 at half zoom over the middle of the town with one panel open; "
            f"the simulation from {START:%H:%M} in its own thread. 100 agents are the 25 "
            "villagers four times over; the run file is written as `town run` does. "
            "'work per frame' is the time a frame takes to draw "
            "(the rest of the 16.7 ms is idle); 'ticks/s' what the simulation did meanwhile.",
            "",
            table(headers, rows),
            "",
            f"While every model request takes {SLOW:.0f} s (the scripted model behind "
            "`asyncio.sleep`), as fast as possible, from 08:00 when all 25 plan their day "
            "(several requests each, at most 8 in flight): a tick lasts as long as its "
            "slowest thinker, and the window keeps drawing meanwhile. 'close s' is how long "
            "closing the window took: cancelling the requests in flight and writing the run "
            "file's final checkpoint.",
            "",
            table(slow_headers, slow_rows),
        ]
    )
    publish("bench_viewer", "Live window: frames per second", body)


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "--one":
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        result = measure(int(sys.argv[2]), sys.argv[3], sys.argv[4] == "slow")
        print(json.dumps(result))
    else:
        main()
