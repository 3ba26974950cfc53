"""The `town` command."""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import logging
import os
import shutil
import signal
import sqlite3
import sys
import time
from collections import Counter, deque
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from tqdm import tqdm

from memory.store import CorruptMemoryError
from town.clock import hours_argument, parse_time
from town.llm.check import add_check_command
from town.llm.scripted import ScriptedModel
from town.llm.select import BackendError, add_llm_arguments, open_model, spec_from_args
from town.llm.stack import Stack
from town.mind import scripted_rules
from town.record import Recorder, RunError, RunFolder, open_run
from town.record.export import FORMATS_HELP, RunData, export
from town.record.fork import fork
from town.record.reenact import resimulate
from town.record.resume import go_live, reopen
from town.record.runfile import RUN_FILE, DamagedRun
from town.record.timeline import timeline
from town.report.cli import add_report_commands
from town.scenario import Scenario, ScenarioError, check_places, load_scenario
from town.sim import Simulation, TickRecord
from town.viewer.errors import ViewerError
from town.world import MapError, load_town
from town.world.check import add_map_check_command

SAVES = Path("saves")
SPEEDS = ("1x", "2x", "5x", "10x", "max")
EXIT_BAD_INPUT = 2


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.command(args)
    except DamagedRun as err:
        print(f"error: {_run_file(args)}: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (ScenarioError, MapError, BackendError, RunError, ViewerError, FileExistsError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (sqlite3.DatabaseError, json.JSONDecodeError, CorruptMemoryError) as err:
        # Only a run file is read with these: a damaged one (its rows, its tables).
        print(f"error: {_run_file(args)}: damaged run file ({err})", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as err:  # a folder that cannot be written, a file that cannot be read
        if isinstance(err, BrokenPipeError):
            raise
        name = f"{err.filename}: " if err.filename else ""
        print(f"error: {name}{err.strerror or err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # the reader went away (`town replay ... | head`): not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _run_file(args: argparse.Namespace) -> str:
    save = getattr(args, "save", None)
    return str(save / RUN_FILE) if save is not None else "the run file"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="town",
        description="A town of generative agents: run it live or headless, save and replay it.",
    )
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")
    run = commands.add_parser("run", help="run a scenario", description="Run a scenario.")
    run.add_argument("scenario", type=Path, help="a scenario file (.toml)")
    add_running_arguments(run)
    add_llm_arguments(run)
    run.add_argument("--seed", type=int, help="override the scenario's seed")
    run.add_argument("--save", type=Path, help="run folder (default: saves/SCENARIO-DATE)")
    run.add_argument("--no-save", action="store_true", help="do not write a run folder")
    run.add_argument(
        "--wait",
        action=argparse.BooleanOptionalAction,
        help="the world waits for every decision, as in the paper (the default headless); "
        "--no-wait: decisions land when their answers come, the town going on meanwhile (the "
        "default in the window); either way the run resumes and re-simulates exactly",
    )
    run.set_defaults(command=cmd_run)

    resume = commands.add_parser(
        "resume",
        help="go on with a saved run, from its last committed tick",
        description="Go on with a saved run, however it ended (even killed): its last "
        "committed ticks are re-enacted from the recorded answers, then it runs live.",
    )
    resume.add_argument("save", type=Path, help="a run folder")
    add_running_arguments(resume)
    add_llm_arguments(resume, default="the run's own")
    resume.set_defaults(command=cmd_resume)

    split = commands.add_parser(
        "fork",
        help="start a new run from a saved run's state at a moment",
        description="Start a new run folder from a saved run's state at a moment, with "
        "events added if wished; the source is only read. Go on with `town resume`.",
    )
    split.add_argument("save", type=Path, help="the source run folder")
    split.add_argument("--at", type=_time, required=True, help='"2023-02-13 12:00"')
    split.add_argument("--to", type=Path, required=True, help="the new run folder")
    split.add_argument(
        "--overlay", type=Path, help="a TOML file of [[events]] to add, as in a scenario"
    )
    split.set_defaults(command=cmd_fork)

    resim = commands.add_parser(
        "resim",
        help="re-run a saved run on its recorded answers and check it is identical",
        description="Re-run a saved run from its start with only its recorded model answers "
        "and check that every tick is identical; reports the first difference (exit status 1).",
    )
    resim.add_argument("save", type=Path, help="a run folder")
    resim.set_defaults(command=cmd_resim)

    ask = commands.add_parser(
        "interview",
        help="ask an agent of a saved run a question",
        description="Ask an agent of a saved run anything; it answers in "
        "character from its memories.",
    )
    ask.add_argument("save", type=Path, help="a run folder")
    ask.add_argument("agent", help="the agent's full name")
    ask.add_argument("question")
    ask.add_argument(
        "--remember",
        action="store_true",
        help="the agent keeps the interview as a memory (saved to the run)",
    )
    add_llm_arguments(ask)
    ask.set_defaults(command=cmd_interview)

    tell = commands.add_parser(
        "whisper",
        help="give an agent of a saved run an inner voice",
        description="Whisper to an agent of a saved run: it becomes a "
        "memory, and the agent re-plans its day when the run goes on.",
    )
    tell.add_argument("save", type=Path, help="a run folder")
    tell.add_argument("agent", help="the agent's full name")
    tell.add_argument("text")
    tell.set_defaults(command=cmd_whisper)

    replay = commands.add_parser(
        "replay",
        help="show a saved run again, with no model",
        description="Replay a saved run from its recorded ticks.",
    )
    replay.add_argument("save", type=Path, help="a run folder")
    replay.add_argument(
        "--headless",
        action="store_true",
        help="print the timeline (time, agent, place, action, utterance)",
    )
    replay.add_argument("--speed", choices=SPEEDS, default="2x", help="starting speed")
    replay.set_defaults(command=cmd_replay)

    out = commands.add_parser(
        "export",
        help="write a saved run's tables as files",
        description="Export ticks, memories, conversations, model calls and relationships as "
        "JSON Lines or CSV.",
    )
    out.add_argument("save", type=Path, help="a run folder")
    out.add_argument("--format", choices=("jsonl", "csv"), default="jsonl", help=FORMATS_HELP)
    out.add_argument("--to", type=Path, help="output folder (default: SAVE/export)")
    out.set_defaults(command=cmd_export)

    add_check_command(commands)
    add_map_check_command(commands)
    add_report_commands(commands)
    return parser


def add_running_arguments(parser: argparse.ArgumentParser) -> None:
    """How long to run, and where: the same for a new run and a resumed one."""
    parser.add_argument("--headless", action="store_true", help="no window: a progress bar")
    parser.add_argument("--until", type=_time, help='stop at this game time, "2023-02-13 18:00"')
    parser.add_argument("--hours", type=hours_argument, help="run this many game hours")
    parser.add_argument("--speed", choices=SPEEDS, default="2x", help="window: starting speed")
    parser.add_argument("--paused", action="store_true", help="window: start paused")


def _time(text: str) -> dt.datetime:
    try:
        return parse_time(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def cmd_run(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario)
    town = load_town(scenario.map_path)
    check_places(scenario, town)
    seed = scenario.town.seed if args.seed is None else args.seed
    end = _end(args, scenario.town.start) or scenario.end
    spec = spec_from_args(args)
    choose_headless(args)
    if not args.headless:  # before a run folder is made for a window that cannot open
        from town.viewer.sprites import check_images

        check_images(scenario.map_path)
    with open_model(
        spec, max_in_flight=scenario.config.max_in_flight, seed=seed, rules=scripted_rules()
    ) as stack:
        wait = args.headless if args.wait is None else args.wait
        sim = Simulation(scenario, town, stack, seed=seed, wait=wait)
        folder = None if args.no_save else _new_run_folder(args, scenario)
        meta = {
            "scenario": args.scenario.name,
            "scenario_sha256": hashlib.sha256(args.scenario.read_bytes()).hexdigest(),
            "seed": sim.seed,
            "backend": spec.kind,
            "model": stack.model_name,
            "start": scenario.town.start.isoformat(sep=" "),
            "until": end.isoformat(sep=" "),
            "agents": len(sim.agents),
            "created": dt.datetime.now().isoformat(timespec="seconds"),
        }
        go(sim, stack, folder, meta, end, args, title=args.scenario.stem)
    return 0


def cmd_resume(args: argparse.Namespace) -> int:
    folder = RunFolder.open(args.save)
    folder.acquire()  # before reading it: a run still being written is refused
    meta = folder.meta()
    sim = reopen(folder)
    until = meta.get("until")
    end = _end(args, sim.now) or (dt.datetime.fromisoformat(until) if until else sim.now)
    if end <= sim.now:
        raise RunError(
            f"{folder.path} has run to {sim.now:%Y-%m-%d %H:%M}, its end; "
            "to go on, give --hours or --until"
        )
    args.llm = args.llm or meta.get("backend")  # the run's own model, unless told otherwise
    spec = spec_from_args(args)
    choose_headless(args)
    with open_model(
        spec, max_in_flight=sim.config.max_in_flight, seed=sim.seed, rules=scripted_rules()
    ) as stack:
        go_live(sim, folder, stack)
        resumed = {
            "tick": sim.tick,
            "backend": spec.kind,
            "model": stack.model_name,
            "wall": dt.datetime.now().isoformat(timespec="seconds"),
        }
        go(
            sim,
            stack,
            folder,
            {"until": end.isoformat(sep=" "), "resumed": resumed},
            end,
            args,
            title=folder.path.name,
        )
    return 0


def cmd_fork(args: argparse.Namespace) -> int:
    folder, sim = fork(RunFolder.open(args.save), args.at, args.to, args.overlay)
    print(
        f"{folder.path}: {len(sim.agents)} agents at {sim.now:%Y-%m-%d %H:%M} from {args.save}"
        f"{f', with the events of {args.overlay}' if args.overlay else ''}; "
        f"go on with: town resume {folder.path} --hours N"
    )
    return 0


def cmd_resim(args: argparse.Namespace) -> int:
    folder = RunFolder.open(args.save)
    total = folder.committed() + 1
    bar = tqdm(total=total, unit="tick", mininterval=0.5, dynamic_ncols=True)
    try:
        verdict = resimulate(folder, progress=lambda sim, record: bar.update(1))
    finally:
        bar.close()
    print(f"{folder.path}: {verdict}")
    return 0 if verdict.identical else 1


def _end(args: argparse.Namespace, now: dt.datetime) -> dt.datetime | None:
    """The end --until or --hours asks for, if either; refuses one that is not ahead."""
    if args.until and args.hours:
        raise ScenarioError("give --until or --hours, not both")
    try:
        end = args.until or (now + dt.timedelta(hours=args.hours) if args.hours else None)
    except OverflowError:
        raise ScenarioError(f"--hours {args.hours:g} from {now} goes past the year 9999") from None
    if end is not None and end <= now:
        raise ScenarioError(f"--until {end} is not after {now}")
    return end


def go(
    sim: Simulation,
    stack: Stack,
    folder: RunFolder | None,
    meta: dict[str, object],
    end: dt.datetime,
    args: argparse.Namespace,
    title: str,
) -> None:
    """Run `sim` to `end`, in the window or headless, recorded into `folder` if one is given;
    then print what happened."""
    print(f"Model: {stack.description}", file=sys.stderr)
    if args.headless:
        print(headless_note(sim.now, end, folder, args.no_display), file=sys.stderr)
    start, first = sim.now, sim.tick

    def attach(sim: Simulation) -> None:
        """The run file, written by the simulation's own thread (SQLite wants that)."""
        if folder is not None:
            record(sim, folder, meta)

    began = time.perf_counter()
    stop = _stop_on_signals(sim)
    try:
        if args.headless:
            attach(sim)
            headless(sim, end)
        else:
            from town.viewer import run_live  # pygame only when a window is wanted

            run_live(
                sim,
                title=f"generative-town: {title}",
                until=end,
                prepare=attach,
                speed=args.speed,
                paused=args.paused,
            )
    finally:
        stop()
    print(summary(sim, start, sim.tick - first, time.perf_counter() - began, folder))


def choose_headless(args: argparse.Namespace) -> None:
    """With no display, run headless (`args.no_display`): SDL would open an invisible window
    paced for a viewer, and say nothing. SDL_VIDEODRIVER set means a driver was chosen on
    purpose (the tests' dummy window, a framebuffer): the window it is."""
    shown = sys.platform in ("darwin", "win32") or any(  # their windows need no DISPLAY
        os.environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER")
    )
    args.no_display = not args.headless and not shown
    args.headless = args.headless or args.no_display


def headless_note(
    now: dt.datetime, end: dt.datetime, folder: RunFolder | None, no_display: bool
) -> str:
    """One line: that the run is headless, for how long, and how to stop it and go on."""
    hours = round((end - now) / dt.timedelta(hours=1), 2)
    note = (
        f"Running headless{' (no display)' if no_display else ''}: {hours:g} game "
        f"hour{'' if hours == 1 else 's'}, to {end:%a %Y-%m-%d %H:%M}. Ctrl-C stops it"
    )
    if folder is None:
        return note + "."
    return note + f" with everything saved; go on with: {_command()} resume {folder.path}"


def _command() -> str:
    """This program as the user can type it again: `town` when that is on PATH, else as it
    was called (`.venv/bin/town` from `make run`, with no virtualenv active)."""
    called, found = Path(sys.argv[0]), shutil.which("town")
    if called.name != "town" or (found and Path(found).resolve() == called.resolve()):
        return "town"
    return str(called)


def headless(sim: Simulation, end: dt.datetime) -> None:
    """Run to `end` with a progress bar; the simulation is closed however it ends."""
    bar = Progress(sim, sim.clock.tick_of(end) - sim.tick)
    sim.observers.append(bar)
    try:
        sim.run(until=end)
    finally:
        bar.close()
        sim.close()


def _new_run_folder(args: argparse.Namespace, scenario: Scenario) -> RunFolder:
    now = dt.datetime.now()
    path = args.save or SAVES / f"{args.scenario.stem}-{now:%Y%m%d-%H%M%S}"
    return RunFolder.create(path, args.scenario, scenario.map_path)


def record(sim: Simulation, folder: RunFolder, meta: dict[str, object]) -> Recorder:
    """The run file's recorder, watching the simulation (and, by itself, every model call)."""
    recorder = Recorder(folder, sim, meta)
    sim.observers.append(recorder)
    return recorder


def cmd_interview(args: argparse.Namespace) -> int:
    folder = RunFolder.open(args.save)
    if args.remember:
        folder.acquire()
    with open_model(spec_from_args(args), rules=scripted_rules()) as stack:
        sim = open_run(folder, stack)
        _check_agent(sim, args.agent)
        # Remembered, the interview is part of the run: recorded, and applied again on resume.
        recorder = record(sim, folder, {}) if args.remember else None
        answer = sim.interview(args.agent, args.question, remember=args.remember)
        if recorder is not None:
            recorder.on_end(sim)
    print(f"{args.agent} ({sim.now:%Y-%m-%d %H:%M}): {answer}")
    return 0


def cmd_whisper(args: argparse.Namespace) -> int:
    folder = RunFolder.open(args.save)
    folder.acquire()
    sim = open_run(folder, ScriptedModel())  # a whisper asks no model anything
    _check_agent(sim, args.agent)
    recorder = record(sim, folder, {})
    sim.whisper(args.agent, args.text)
    recorder.on_end(sim)
    print(f"{args.agent} will hear it when the run goes on ({sim.now:%Y-%m-%d %H:%M}).")
    return 0


def _check_agent(sim: Simulation, name: str) -> None:
    if name not in sim.by_name:
        raise RunError(f"no agent named {name!r}; the agents are {', '.join(sim.by_name)}")


def cmd_replay(args: argparse.Namespace) -> int:
    folder = RunFolder.open(args.save)
    choose_headless(args)
    if args.no_display:  # an invisible window would play to no one
        print("No display: the run's timeline as text (set DISPLAY to watch it).", file=sys.stderr)
    if not args.headless:
        from town.viewer import run_replay  # pygame only when a window is wanted

        run_replay(folder.path, speed=args.speed)
        return 0
    world = load_town(load_scenario(folder.scenario).map_path).world
    for line in timeline(RunData(folder), world):
        print(line)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    folder = RunFolder.open(args.save)
    for path in export(folder, args.format, args.to or folder.path / "export"):
        print(path)
    return 0


PLURALS = {"summary": "summaries"}  # the kinds of items the sanity checks count
ETA_WINDOW = 600.0  # wall seconds: the time left is reckoned at the pace of the last ten minutes
ETA_MIN_SPAN = 60.0  # wall seconds of work measured before any time left is guessed
Sample = tuple[float, int]  # (wall-clock seconds, waking agent-ticks done by then)


def seconds_left(
    history: Sequence[Sample], remaining: int, window: float = ETA_WINDOW
) -> float | None:
    """Wall seconds until `remaining` more waking agent-ticks are done, at the pace of the last
    `window` seconds of `history` (samples in time order); None while that stretch holds no
    waking tick to measure.

    Counted in waking agent-ticks, not ticks: a tick with everyone asleep asks the model
    nothing and takes no time, so ticks per second over a night say nothing of the day
    ahead (a progress bar that counted ticks promised 30 minutes for a day of hours)."""
    if remaining <= 0:
        return 0.0
    if not history:
        return None
    now, done = history[-1]
    since, before = history[0]
    for t, d in history:  # from the last sample at least `window` old (a slow tick may be
        if t <= now - window:  # longer), or the last before the work began (a night is no pace)
            since, before = t, d
        elif d == before:
            since = t
        else:
            break
    if done <= before or now - since < ETA_MIN_SPAN:
        return None  # a few first decisions (a day's plans) would promise hours or minutes
    return remaining * (now - since) / (done - before)


def time_left(seconds: float | None, asleep: bool) -> str:
    if seconds is None:
        return "time left unknown while everyone sleeps" if asleep else "time left: measuring"
    if seconds < 60:
        return "under a minute left"
    hours, minutes = divmod(round(seconds / 60), 60)
    return f"about {f'{hours} h ' if hours else ''}{minutes} min left at the recent pace"


class Progress:
    """A progress bar over ticks, showing the game time, the model requests so far and the
    time left (`seconds_left`, in place of tqdm's, which counts ticks alike)."""

    def __init__(self, sim: Simulation, total: int) -> None:
        self.bar = tqdm(
            total=total,
            unit="tick",
            mininterval=0.5,
            dynamic_ncols=True,
            bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}{postfix}]",
        )
        personas = [a.persona for a in sim.agents]
        # Agents awake at each minute of the day, by their schedules: the work still to do.
        self.awake = [sum(p.is_awake_at(m) for p in personas) for m in range(24 * 60)]
        ticks = range(sim.tick, sim.tick + total)
        self.left = sum(self.awake[sim.clock.minute_of_day(t)] for t in ticks)
        self.done = 0
        self.history: deque[Sample] = deque([(time.monotonic(), 0)])
        self.bar.set_postfix_str(f"{sim.now:%a %H:%M}, {self.time_left(sim.now)}")

    def on_tick(self, sim: Simulation, record: TickRecord) -> None:
        self.bar.update(1)
        awake = self.awake[record.time.hour * 60 + record.time.minute]
        self.done += awake
        self.left = max(self.left - awake, 0)
        now = time.monotonic()
        if now - self.history[-1][0] >= 1.0:  # a sample a second is plenty, at any speed
            self.history.append((now, self.done))
            while self.history[1][0] <= now - ETA_WINDOW:  # one sample older is enough
                self.history.popleft()
        if record.tick % 60 == 0 or record.actions:
            usage, left = sim.meter.total(), self.time_left(record.time)
            self.bar.set_postfix_str(
                f"{record.time:%a %H:%M}, {usage.requests} requests, {left}", refresh=False
            )

    def time_left(self, now: dt.datetime) -> str:
        seconds = seconds_left(self.history, self.left)
        return time_left(seconds, asleep=self.awake[now.hour * 60 + now.minute] == 0)

    def close(self) -> None:
        self.bar.close()


def _stop_on_signals(sim: Simulation):
    """Ctrl-C ends the run after the current tick, so the run file stays complete."""

    def stop(signum: int, frame: FrameType | None) -> None:
        sim.running = False

    previous = signal.signal(signal.SIGINT, stop)
    return lambda: signal.signal(signal.SIGINT, previous)


def summary(
    sim: Simulation, start: dt.datetime, ticks: int, wall: float, folder: RunFolder | None
) -> str:
    """What this session did: `ticks` ticks from `start` (a resumed run counts its own)."""
    usage = sim.meter.total()
    by_purpose = ", ".join(f"{p} {u.requests}" for p, u in sorted(sim.meter.by_purpose.items()))
    lines = [
        f"Ran {len(sim.agents)} agents from {start:%Y-%m-%d %H:%M} to {sim.now:%Y-%m-%d %H:%M} "
        f"({ticks} ticks) in {wall:.1f} s ({ticks / max(wall, 1e-9):,.0f} ticks/s)",
        f"Model: {usage.summary()}",
        f"Requests by purpose: {by_purpose or 'none'}",
        f"Paths: {sim.paths.searches} searches, {sim.paths.hits} from the cache; "
        f"perceived {sum(a.mind.observations for a in sim.agents)} new events",
    ]
    checked, failed, degenerate = Counter(), Counter(), Counter()
    for agent in sim.agents:
        checked.update(agent.mind.sanity.checked)
        failed.update(agent.mind.sanity.failed)
        degenerate.update(agent.mind.sanity.degenerate)
    if checked:  # "0 fallbacks" must not hide answers that were valid JSON and nonsense
        kinds = ", ".join(f"{p} {n}" for p, n in sorted(degenerate.items()))
        shares = ", ".join(
            f"{PLURALS.get(what, what + 's')} {100 * (1 - failed[what] / n):.0f}%"
            for what, n in sorted(checked.items())
        )
        lines.append(
            f"Answers valid but degenerate, repaired or replaced: {degenerate.total()}"
            f"{f' ({kinds})' if kinds else ''}; sane so far in the run: {shares}"
        )
    if sim.think_failures or sim.unreachable:
        lines.append(
            f"Problems: {sim.think_failures} failed decisions, "
            f"{sim.unreachable} unreachable places (see the log above)"
        )
    if folder is not None:
        lines.append(f"Saved to {folder.path}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
