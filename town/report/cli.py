"""`town report` and `town batch`: the measures of saved runs, with pictures, and many seeds of
one scenario run in parallel processes."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from town.clock import hours_argument
from town.llm.models import LOCAL_MODELS
from town.llm.select import (
    BACKENDS,
    BackendError,
    BackendSpec,
    add_llm_arguments,
    open_model,
    spec_from_args,
)
from town.mind import scripted_rules
from town.record.runfile import RunError, RunFolder
from town.report.batch import batch_run, parse_seeds
from town.report.believability import CONDITIONS
from town.report.metrics import interview, measure
from town.report.report import write_report
from town.scenario import ScenarioError, load_scenario

SAVES = Path("saves")


def add_report_commands(commands: Any) -> None:
    report = commands.add_parser(
        "report",
        help="measure a saved run and write a report with plots",
        description="Measure a saved run as the paper measured its town (relationships, the "
        "spread of tracked facts, who came to an event, believability) and write a report "
        "folder: index.md, PNG plots, CSV tables and summary.json. Interviews ask a model: by "
        "default the one the run used. The model usage is what the run paid, at its own "
        "prices; --prices prices its tokens again.",
    )
    report.add_argument("save", type=Path, help="a run folder")
    report.add_argument("--to", type=Path, help="report folder (default: SAVE/report)")
    report.add_argument(
        "--no-interviews",
        action="store_true",
        help="ask no model: awareness from memories only, no believability",
    )
    report.add_argument(
        "--interview-every",
        type=float,
        metavar="HOURS",
        help="interview about the tracked facts every so many game hours too (default: at "
        "the first and last checkpoints only)",
    )
    report.add_argument(
        "--believability",
        nargs="?",
        const=",".join(CONDITIONS),
        metavar="CONDITIONS",
        help="believability interviews under these conditions, comma-separated (default: all: "
        f"{', '.join(CONDITIONS)})",
    )
    report.add_argument(
        "--believability-agents", type=int, metavar="N", help="interview only the first N agents"
    )
    report.add_argument(
        "--questions", type=int, default=5, metavar="N", help="questions per category (1-5)"
    )
    add_llm_arguments(report)
    judge = report.add_argument_group(
        "judge",
        "the model that judges the interview answers (default: the interviews' own); a small "
        "local model says yes to almost anything, so name a stronger one where you can",
    )
    judge.add_argument("--judge-llm", metavar="BACKEND", help=f"its backend: {', '.join(BACKENDS)}")
    judge.add_argument("--judge-model", metavar="NAME", help="the model to ask, with --judge-llm")
    judge.add_argument(
        "--judge-base-url",
        action="append",
        metavar="URL",
        help="its OpenAI-compatible endpoint, with --judge-llm openai (default: OPENAI_BASE_URL "
        "or OpenAI's; the key: OPENAI_API_KEY)",
    )
    report.set_defaults(command=cmd_report)

    batch = commands.add_parser(
        "batch",
        help="run a scenario over many seeds in parallel and gather the measures",
        description="Run a scenario once per seed, JOBS processes at a time, and gather every "
        "run's measures into OUT/metrics.csv (and the curves over time into OUT/series.csv).",
    )
    batch.add_argument("scenario", type=Path, help="a scenario file (.toml)")
    batch.add_argument("--seeds", required=True, help="seeds: 1-8, or 1,3,5, or 1-4,9")
    batch.add_argument("--jobs", type=int, default=1, help="runs at once (default 1)")
    batch.add_argument("--hours", type=hours_argument, help="run this many game hours")
    batch.add_argument("--until", help='stop at this game time, "2023-02-14 18:00"')
    batch.add_argument("--out", type=Path, help="folder of the runs (default: saves/batch-...)")
    batch.add_argument("--reports", action="store_true", help="write each run's report too")
    add_llm_arguments(batch)
    batch.set_defaults(command=cmd_batch)


def cmd_report(args: argparse.Namespace) -> int:
    folder = RunFolder.open(args.save)
    measures = measure(folder, args.prices)  # --prices: the run's tokens priced again
    conditions = _conditions(args.believability)
    if not args.no_interviews and (measures.scenario.facts or conditions):
        spec = spec_from_args(_run_backend(args, measures.meta))
        judge_spec = _judge_spec(args) or spec
        seed = int(measures.meta.get("seed") or 0)
        with ExitStack() as opened:
            stack = opened.enter_context(open_model(spec, seed=seed, rules=scripted_rules()))
            judge = stack
            if judge_spec != spec:  # else one stack (one local server) does both
                judge = opened.enter_context(
                    open_model(judge_spec, seed=seed, rules=scripted_rules())
                )
            print(f"Interviewing with {stack.description}", file=sys.stderr)
            print(f"Judging with {judge.description}", file=sys.stderr)
            measures.judge = f"{judge_spec.kind} ({judge.model_name})"
            measures.judge_weak = judge_spec.kind in LOCAL_MODELS
            interview(
                measures,
                stack,
                judge=judge,
                every_hours=args.interview_every,
                conditions=conditions,
                believability_agents=args.believability_agents,
                per_category=max(1, min(5, args.questions)),
            )
            print(f"Interviews: {stack.meter.total().summary()}", file=sys.stderr)
            if judge is not stack:
                print(f"Judge: {judge.meter.total().summary()}", file=sys.stderr)
    out = args.to or folder.path / "report"
    files = write_report(measures, out)
    print(f"Wrote {len(files)} files to {out}; open {out / 'index.md'}")
    return 0


def _conditions(text: str | None) -> list[str]:
    if not text:
        return []
    chosen = [c.strip() for c in text.split(",") if c.strip()]
    unknown = [c for c in chosen if c not in CONDITIONS]
    if unknown:
        raise RunError(
            f"no believability condition {', '.join(unknown)}; choose from {', '.join(CONDITIONS)}"
        )
    return chosen


def _judge_spec(args: argparse.Namespace) -> BackendSpec | None:
    """The judge --judge-llm names, if any; its endpoint and key are its own, never the
    interviews' (a key goes only where it was meant to)."""
    if not args.judge_llm:
        if args.judge_model or args.judge_base_url:
            raise BackendError("--judge-model and --judge-base-url go with --judge-llm")
        return None
    return spec_from_args(
        argparse.Namespace(
            llm=args.judge_llm,
            model=args.judge_model,
            base_url=args.judge_base_url,
            max_in_flight=args.max_in_flight,
            timeout=args.timeout,
            prices=args.prices,
        )
    )


def _run_backend(args: argparse.Namespace, meta: dict[str, Any]) -> argparse.Namespace:
    """Without --llm, the backend (and model) the run itself used, where there is one."""
    if args.llm or args.base_url or meta.get("backend") not in BACKENDS:
        return args
    model = args.model or (meta.get("model") if meta.get("backend") == "openai" else None)
    return argparse.Namespace(**{**vars(args), "llm": meta["backend"], "model": model})


def cmd_batch(args: argparse.Namespace) -> int:
    load_scenario(args.scenario)  # refuse a bad scenario once, not once per seed
    try:
        seeds = parse_seeds(args.seeds)
    except ValueError as err:
        raise ScenarioError(f"--seeds: {err}") from None
    spec = spec_from_args(args)  # refuse bad model options here too
    out = args.out or SAVES / f"batch-{args.scenario.stem}-{dt.datetime.now():%Y%m%d-%H%M%S}"
    run_args = ["--llm", spec.kind]
    for url in spec.base_urls:
        run_args += ["--base-url", url]
    for flag, value in (
        ("--model", spec.model),
        ("--max-in-flight", spec.max_in_flight),
        ("--timeout", spec.timeout),
        ("--prices", spec.prices),
        ("--hours", args.hours),
        ("--until", args.until),
    ):
        if value is not None:
            run_args += [flag, str(value)]
    # A key goes by the environment, never on a command line others can read.
    env = {"OPENAI_API_KEY": spec.api_key} if spec.api_key else None
    frame = batch_run(
        args.scenario,
        seeds,
        jobs=args.jobs,
        out=out,
        run_args=run_args,
        env=env,
        reports=args.reports,
    )
    failed = frame[frame["exit"] != 0]
    print(
        f"{len(frame) - len(failed)} of {len(frame)} runs done; measures in {out / 'metrics.csv'}"
    )
    for row in failed.itertuples():
        print(f"seed {row.seed} failed (exit {row.exit}); see {row.log}", file=sys.stderr)
    return 1 if len(failed) else 0
