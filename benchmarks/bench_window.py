"""Does the window's clock stand still while the embedded model thinks?

The three villagers of the_ville_3 from 06:00 at 1x (a tick a second) in a real X window
(Xvfb) on the embedded local model, for ten minutes of wall time: once with the world not
waiting (the window's way) and once with it waiting for every decision (the paper's way, the
window's before). Each frame notes the game time it shows; a stall is the wall time between
two changes of it (1.0 s at 1x when nothing waits). Also how far decisions lagged behind the
tick they were for, and a screenshot every two minutes (benchmarks/window/, not committed).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.bench_viewer import Xvfb
from benchmarks.harness import percentile, publish, table

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "assets" / "scenarios" / "the_ville_3.toml"
START = dt.datetime(2023, 2, 13, 6, 0)
SECONDS = float(os.environ.get("BENCH_WINDOW_SECONDS", 600))
SHOTS = ROOT / "benchmarks" / "window"


def measure(wait: bool) -> dict[str, object]:
    """One window, in this process, for SECONDS of wall time."""
    from memory import SentenceTransformerEmbedder
    from town.llm.select import BackendSpec, open_model
    from town.mind import scripted_rules
    from town.scenario import check_places, load_scenario
    from town.sim import Simulation
    from town.viewer.app import Viewer, speed_of
    from town.viewer.launch import frames_first
    from town.viewer.runner import SimRunner
    from town.world import load_town

    base = load_scenario(SCENARIO)
    scenario = base.model_copy(update={"town": base.town.model_copy(update={"start": START})})
    scenario._source = base.source
    town = load_town(base.map_path)
    check_places(scenario, town)
    shown: list[tuple[float, dt.datetime, bool, float, bool]] = []
    lags: list[int] = []  # ticks from a decision's tick to the tick it landed at
    due: dict[str, int] = {}

    class Landings:
        def on_tick(self, sim: Simulation, record) -> None:
            lags.extend(record.tick - due.pop(name) for name in record.landed if name in due)
            due.update({name: t.lands for name, t in sim.thoughts.items()})

    with open_model(BackendSpec("local"), seed=scenario.town.seed, rules=scripted_rules()) as llm:
        sim = Simulation(scenario, town, llm, embedder=SentenceTransformerEmbedder(), wait=wait)
        sim.observers.append(Landings())
        runner = SimRunner(sim, speed=speed_of("1x", sim.clock.seconds_per_tick))
        viewer = Viewer(runner, scenario, town, sim.clock, title="bench", size=(1280, 800))
        draw = viewer.draw
        began = time.monotonic()
        next_shot = 0.0

        def noted(now: float) -> None:
            nonlocal next_shot
            draw(now)
            s = runner.snapshot
            at = time.monotonic() - began
            shown.append((at, s.time, s.paused or s.ended, s.lag_minutes, s.behind))
            if at >= next_shot:
                SHOTS.mkdir(exist_ok=True)
                mode = "waits" if wait else "goes-on"
                path = SHOTS / f"{mode}-{int(at // 60):02d}min.png"
                import pygame

                pygame.image.save(viewer.screen, str(path))
                next_shot += 120

        viewer.draw = noted  # type: ignore[method-assign]
        with frames_first():
            runner.start()
            viewer.run(seconds=SECONDS)
        runner.stop(timeout=60)
        requests = sim.meter.total().requests
    gaps, last_time, last_at = [], None, None
    for at, moment, stopped, _, _ in shown:
        if stopped:
            last_time, last_at = None, None
            continue
        if moment != last_time:
            if last_at is not None:
                gaps.append(at - last_at)
            last_time, last_at = moment, at
    return {
        "wait": wait,
        "frames": len(shown),
        "game_minutes": (shown[-1][1] - shown[0][1]).total_seconds() / 60,
        "longest_gap_s": max(gaps),
        "p99_gap_s": percentile(gaps, 99),
        "gaps_over_2s": sum(g > 2 for g in gaps),
        "lag_max_min": max((s[3] for s in shown), default=0.0),
        "held": sum(1 for s in shown if s[4]),
        "landed": len(lags),
        "lag_p50_min": percentile(lags, 50) / 6 if lags else 0.0,
        "lag_p99_min": percentile(lags, 99) / 6 if lags else 0.0,
        "requests": requests,
    }


def run_one(wait: bool, display: str) -> dict[str, object]:
    env = {**os.environ, "SDL_VIDEODRIVER": "x11", "DISPLAY": display, "HF_HUB_OFFLINE": "1"}
    args = [sys.executable, "-m", "benchmarks.bench_window", "--one", "wait" if wait else "go"]
    done = subprocess.run(
        args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=SECONDS + 900
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    with Xvfb() as display:
        results = [run_one(False, display), run_one(True, display)]
    headers = [
        "the world",
        "game minutes shown",
        "longest stall s",
        "p99 s",
        "stalls over 2 s",
        "decisions landed",
        "lag p50 / p99 min",
        "lag shown, max min",
        "frames the clock held",
        "model requests",
    ]
    rows = [
        [
            "waits for each decision" if r["wait"] else "goes on (the window's way)",
            f"{r['game_minutes']:.1f}",
            f"{r['longest_gap_s']:.1f}",
            f"{r['p99_gap_s']:.1f}",
            r["gaps_over_2s"],
            r["landed"] if not r["wait"] else "-",
            f"{r['lag_p50_min']:.1f} / {r['lag_p99_min']:.1f}" if not r["wait"] else "-",
            f"{r['lag_max_min']:.1f}",
            r["held"],
            r["requests"],
        ]
        for r in results
    ]
    body = "\n".join(
        [
            f"the_ville_3 from {START:%H:%M} at 1x (one 10-second tick a second) in a real X "
            f"window (Xvfb, 1280x800), the embedded model (Qwen2.5-Coder-0.5B, llama.cpp, one "
            f"request at a time) and MiniLM, {SECONDS / 60:.0f} minutes of wall time each. A "
            "stall is the wall time between two changes of the game time the window shows "
            "(1.0 s when nothing waits). Lag: from the tick a decision was for to the tick it "
            "landed at. Target: no stall over 1 s beyond the pace.",
            "",
            table(headers, rows),
        ]
    )
    publish("bench_window", "The window's clock on the embedded model", body)


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "--one":
        print(json.dumps(measure(sys.argv[2] == "wait"), default=str))
    else:
        main()
