"""Batch runs, after Mesa's batch_run: one scenario over many seeds, each run in its own
process (`town run ... --headless --seed N --save DIR`, the very code path of a single run),
`jobs` at a time; then every run's measures gathered into one table (metrics.csv) and their
curves over time into another (series.csv).

    frame = batch_run(Path("assets/scenarios/valentine_25.toml"), range(1, 9), jobs=2,
                      out=Path("saves/batch"), run_args=["--llm", "scripted", "--hours", "6"])
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm import tqdm

from town.record.runfile import RunError, RunFolder
from town.report.metrics import RunMeasures, measure, summary
from town.report.report import write_report

SEEDS = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+))?\s*$")


def parse_seeds(text: str) -> list[int]:
    """'1-8', '1,3,5' or '1-4,9' -> the seeds, in order, each once."""
    seeds: list[int] = []
    for part in text.split(","):
        match = SEEDS.match(part)
        if match is None:
            raise ValueError(f"not a seed or a range of seeds: {part!r} (try 1-8 or 1,3,5)")
        low = int(match.group(1))
        high = int(match.group(2) or low)
        if high < low:
            raise ValueError(f"an empty range of seeds: {part.strip()!r}")
        seeds += [s for s in range(low, high + 1) if s not in seeds]
    return seeds


def batch_run(
    scenario: Path,
    seeds: Iterable[int],
    *,
    jobs: int = 1,
    out: Path,
    run_args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    reports: bool = False,
    progress: bool = True,
) -> pd.DataFrame:
    """Run every seed, `jobs` at once; returns one row of measures per seed (also written to
    out/metrics.csv, with the curves in out/series.csv). A run that fails gets a row with
    its exit status and log file, and the others go on."""
    seeds = list(seeds)
    out.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    series: list[pd.DataFrame] = []
    bar = tqdm(total=len(seeds), unit="run", desc="batch", disable=not progress)
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        running = {
            pool.submit(run_seed, scenario, seed, out, run_args, env): seed for seed in seeds
        }
        for done in as_completed(running):
            seed = running[done]
            code, log = done.result()
            row: dict[str, Any] = {"seed": seed, "exit": code, "log": str(log)}
            if code == 0:
                try:
                    measures = measure(RunFolder.open(out / f"seed-{seed}"))
                except (RunError, ValueError) as err:
                    row["error"] = str(err)
                else:
                    row.update(summary(measures), seed=seed)
                    series.append(curves(measures).assign(seed=seed))
                    if reports:
                        write_report(measures, out / f"seed-{seed}" / "report")
            rows.append(row)
            bar.update(1)
            bar.set_postfix_str(f"seed {seed}: {'ok' if code == 0 else f'exit {code}'}")
    bar.close()
    frame = pd.DataFrame(rows).sort_values("seed").reset_index(drop=True)
    frame.to_csv(out / "metrics.csv", index=False)
    if series:
        pd.concat(series, ignore_index=True).to_csv(out / "series.csv", index=False)
    return frame


def run_seed(
    scenario: Path,
    seed: int,
    out: Path,
    run_args: Sequence[str],
    env: Mapping[str, str] | None,
) -> tuple[int, Path]:
    """One run in its own process; its output goes to out/seed-N.log."""
    log = out / f"seed-{seed}.log"
    command = [
        sys.executable,
        "-m",
        "town",
        "run",
        str(scenario),
        "--headless",
        "--seed",
        str(seed),
        "--save",
        str(out / f"seed-{seed}"),
        *run_args,
    ]
    with log.open("w", encoding="utf-8") as sink:
        done = subprocess.run(
            command,
            stdout=sink,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            check=False,
        )
    return done.returncode, log


def curves(measures: RunMeasures) -> pd.DataFrame:
    """The run's measures over time, long: tick, time, measure, value."""
    density = measures.density.assign(measure="density", value=measures.density.density)
    spread = measures.spread.assign(
        measure=measures.spread.fact + "_aware", value=measures.spread.share
    )
    columns = ["tick", "time", "measure", "value"]
    return pd.concat([density[columns], spread[columns]], ignore_index=True)
