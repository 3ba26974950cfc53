"""Scenarios: a TOML file naming the map, the start, the people and what happens to them.

    [town]      map, start, seconds_per_tick, seed
    [run]       until = "2023-02-13 18:00"  or  hours = 12
    [config]    overrides of TownConfig
    [[agents]]  persona fields, plus memories (seed memories), knows (extra places), sprite
    [[events]]  kind = "whisper" | "world_event" | "object_state", at, and their fields
    [[facts]]   name, text: facts whose spread a report follows (question, keywords; and for
                an event, place, at, until: who came)

Every error names the file, the line where it can be found, and the field.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from town.agents.persona import Persona
from town.clock import MAX_HOURS
from town.config import TownConfig
from town.world import places
from town.world.errors import UnknownPlace
from town.world.paths import Regions
from town.world.town import Tile, Town

ASSETS = Path(__file__).resolve().parents[1] / "assets"


class ScenarioError(ValueError):
    """A scenario that cannot be run; the message names the file, line and field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class TownSection(_Strict):
    map: str = "../maps/the_ville.tmx"  # relative to the scenario file
    start: dt.datetime
    seconds_per_tick: int = Field(10, gt=0, le=3600)
    seed: int = 0


class RunSection(_Strict):
    until: dt.datetime | None = None
    hours: float | None = Field(None, gt=0, le=MAX_HOURS)


class AgentSpec(Persona):
    memories: list[str] = Field(default_factory=list, description="seed memories")
    knows: list[str] = Field(
        default_factory=list, description="places known besides home, workplace and the public ones"
    )
    sprite: str | None = None


class Whisper(_Strict):
    kind: Literal["whisper"]
    at: dt.datetime
    agent: str
    text: str = Field(min_length=1)


class WorldEvent(_Strict):
    """Something happens to an object ('on fire'); agents nearby perceive it."""

    kind: Literal["world_event"]
    at: dt.datetime
    place: str
    text: str = Field(min_length=1)
    minutes: int | None = Field(
        None, gt=0, le=MAX_HOURS * 60, description="how long it lasts; for good if unset"
    )


class ObjectStateEvent(_Strict):
    kind: Literal["object_state"]
    at: dt.datetime
    place: str
    state: str = Field(min_length=1)


ScenarioEvent = Annotated[Whisper | WorldEvent | ObjectStateEvent, Field(discriminator="kind")]


class TrackedFact(_Strict):
    """Something whose spread through the town is measured, as the paper followed Isabella's
    party and Sam's candidacy: agents are interviewed (`question`), and between interviews
    their memories are checked (`keywords`, or similarity to `text` without them). A fact
    that is an event (`place`, `at`, `until`) also counts who came to it."""

    name: str = Field(pattern=r"^[A-Za-z0-9_-]+$", description="a short id: party, candidacy")
    text: str = Field(min_length=1)
    question: str | None = Field(None, min_length=1, description="default: asks about `text`")
    keywords: list[Annotated[str, Field(min_length=1)]] = Field(
        default_factory=list,
        description="a memory holds the fact when it has all of these words (a word may be "
        "several, 'mayor|election', any of which will do); words match from their start",
    )
    similarity: float = Field(0.6, gt=0, le=1, description="without keywords: cosine at least")
    place: str | None = None
    at: dt.datetime | None = None
    until: dt.datetime | None = None

    @property
    def interview_question(self) -> str:
        return self.question or f"Do you know about this: {self.text.rstrip('.')}?"

    def mentioned_in(self, text: str) -> bool | None:
        """Whether `text` has all the keywords; None for a fact without keywords."""
        return mentions(text, self.keywords) if self.keywords else None


def mentions(text: str, keywords: list[str]) -> bool:
    """Every keyword (or one of its '|' alternatives) begins a word of `text`, whatever the
    case: 'mayor' finds 'mayoral' (and 'sam' finds 'same': name more words where it matters)."""
    lowered = text.lower()
    for keyword in keywords:
        words = "|".join(re.escape(w.strip().lower()) for w in keyword.split("|") if w.strip())
        if not re.search(rf"(?<!\w)(?:{words})", lowered):
            return False
    return True


class Scenario(_Strict):
    town: TownSection
    run: RunSection = RunSection()
    config: TownConfig = TownConfig()
    agents: list[AgentSpec] = Field(min_length=1)
    events: list[ScenarioEvent] = Field(default_factory=list)
    facts: list[TrackedFact] = Field(default_factory=list)
    _source: Path = PrivateAttr(default=Path("<memory>"))

    @property
    def source(self) -> Path:
        """The file the scenario was read from; the map path is relative to it."""
        return self._source

    @property
    def map_path(self) -> Path:
        return (self.source.parent / self.town.map).resolve()

    @property
    def end(self) -> dt.datetime:
        if self.run.until is not None:
            return self.run.until
        return self.town.start + dt.timedelta(hours=self.run.hours or 24)


def load_scenario(path: str | Path) -> Scenario:
    """Parse and validate a scenario file (not yet against its map: see `check_places`)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(f"{path}: no such scenario file") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ScenarioError(f"{path}: cannot be read ({err})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(f"{path}: not valid TOML: {err}") from None
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as err:
        raise ScenarioError("\n".join(field_error(path, text, e) for e in err.errors())) from None
    scenario._source = path
    problems = _check_times(scenario) + _check_names(scenario)
    if not scenario.map_path.is_file():
        problems.append((("town", "map"), f"no such map file {scenario.map_path}"))
    if problems:
        raise ScenarioError("\n".join(located(path, text, loc, msg) for loc, msg in problems))
    return scenario


def check_places(scenario: Scenario, town: Town) -> None:
    """Every place the scenario names exists on the map, and each agent's spawn tile, home
    (its bed, if it has one) and workplace are joined by walkable paths."""
    problems: list[tuple[tuple[Any, ...], str]] = []

    def need(loc: tuple[Any, ...], name: str | None, depth: int = 2) -> None:
        if name is None:
            return
        try:
            address = town.resolve(name)
        except UnknownPlace as err:
            problems.append((loc, str(err)))
            return
        if places.depth(address) < depth:
            problems.append((loc, f"{name!r} is a sector; name one of its objects"))

    for i, agent in enumerate(scenario.agents):
        need(("agents", i, "home"), agent.home)
        need(("agents", i, "workplace"), agent.workplace)
        for j, known in enumerate(agent.knows):
            need(("agents", i, "knows", j), known)
        if agent.sprite and not (ASSETS / "sprites" / agent.sprite).is_file():
            problems.append((("agents", i, "sprite"), f"no sprite file {agent.sprite!r}"))
    for i, event in enumerate(scenario.events):
        if isinstance(event, WorldEvent | ObjectStateEvent):
            need(("events", i, "place"), event.place, depth=4)
    for i, fact in enumerate(scenario.facts):
        need(("facts", i, "place"), fact.place)
    problems += _check_reach(scenario, town)
    if problems:
        text = scenario.source.read_text() if scenario.source.is_file() else ""
        raise ScenarioError(
            "\n".join(located(scenario.source, text, loc, m) for loc, m in problems)
        )


def _check_reach(scenario: Scenario, town: Town) -> list[tuple[tuple[Any, ...], str]]:
    """A home, bed or workplace that walls shut off from where its agent starts: refused
    here rather than met as 'cannot reach' warnings all through the run. A place counts as
    reached when any tile an agent would use it from is (rooms hold corners behind the
    furniture). The flood fills of `Regions` keep this to one pass over the walkable tiles
    for the whole town, however many agents."""
    problems: list[tuple[tuple[Any, ...], str]] = []
    regions = Regions(town)
    short = town.world + places.SEP
    for i, agent in enumerate(scenario.agents):
        try:
            home = town.resolve(agent.home)
            work = town.resolve(agent.workplace) if agent.workplace else None
        except UnknownPlace:
            continue  # already reported
        try:
            starts = _start_tiles(town, home)
        except UnknownPlace as err:
            problems.append((("agents", i, "home"), str(err)))
            continue
        first = starts[0]
        apart = [t for t in starts if not regions.joined(first, t)]
        if apart:  # agents sharing the room take its spawn tiles in turn
            problems.append(
                (
                    ("agents", i, "home"),
                    f"no walkable path joins the spawn tiles {first} and {apart[0]} of "
                    f"{home.removeprefix(short)!r}; a wall or a missing door parts them",
                )
            )
            continue
        bed = places.join(home, "bed")  # where the agent sleeps: the home that matters
        wanted = [("home", bed, "its bed") if bed in town.tiles else ("home", home, "its home")]
        if work:
            wanted.append(("workplace", work, "its workplace"))
        for field, address, what in wanted:
            name = address.removeprefix(short)
            tiles = town.use_tiles(address)
            if not tiles:
                problems.append((("agents", i, field), f"{what} {name!r} has no walkable tile"))
            elif not any(regions.joined(first, t) for t in tiles):
                problems.append(
                    (
                        ("agents", i, field),
                        f"no walkable path joins {agent.name}'s spawn tile {first} and "
                        f"{what} {name!r}; a wall or a missing door shuts one of them off",
                    )
                )
    return problems


def _start_tiles(town: Town, home: str) -> list[Tile]:
    """The tiles an agent of this home may start on (as `Simulation` chooses: a spawn tile
    of its bed's room, taken in turn by those who share it, else the home's first spawn).
    For a room, exactly those; for a whole building, the spawn tiles of all its rooms."""
    rooms = [home, *town.children[home]] if places.depth(home) == 2 else [home]
    return [t for room in rooms for t in town.spawn_tiles.get(room, [])] or [town.spawn_tile(home)]


def _check_times(s: Scenario) -> list[tuple[tuple[Any, ...], str]]:
    problems: list[tuple[tuple[Any, ...], str]] = []
    if s.run.until is not None and s.run.hours is not None:
        problems.append((("run", "hours"), "give either run.until or run.hours, not both"))
    try:
        end = s.end
    except OverflowError:
        return [*problems, (("run", "hours"), "the run would end after the year 9999")]
    if end <= s.town.start:
        problems.append((("run", "until"), f"the run ends ({end}) before it starts"))
    for i, event in enumerate(s.events):
        if not s.town.start <= event.at <= s.end:
            problems.append(
                (("events", i, "at"), f"{event.at} is outside the run ({s.town.start} to {s.end})")
            )
    for i, fact in enumerate(s.facts):
        if (fact.place is None) != (fact.at is None) or (fact.at is None) != (fact.until is None):
            missing = next(k for k in ("place", "at", "until") if getattr(fact, k) is None)
            problems.append((("facts", i, missing), "an event needs place, at and until"))
        elif fact.at is not None and fact.until is not None and fact.until <= fact.at:
            problems.append((("facts", i, "until"), f"{fact.until} is not after {fact.at}"))
    return problems


def _check_names(s: Scenario) -> list[tuple[tuple[Any, ...], str]]:
    problems: list[tuple[tuple[Any, ...], str]] = []
    seen: set[str] = set()
    for i, agent in enumerate(s.agents):
        if agent.name in seen:
            problems.append((("agents", i, "name"), f"duplicate name {agent.name!r}"))
        seen.add(agent.name)
    for i, event in enumerate(s.events):
        if isinstance(event, Whisper) and event.agent not in seen:
            problems.append((("events", i, "agent"), f"no agent named {event.agent!r}"))
    facts: set[str] = set()
    for i, fact in enumerate(s.facts):
        if fact.name in facts:
            problems.append((("facts", i, "name"), f"duplicate fact {fact.name!r}"))
        facts.add(fact.name)
    return problems


def field_error(path: Path, text: str, error: Any) -> str:
    """A pydantic error of a TOML file's data, as `file:line: field: message`."""
    loc = tuple(p for p in error["loc"] if p not in ("whisper", "world_event", "object_state"))
    message = error["msg"]
    if error["type"] == "extra_forbidden":
        message = "unknown key"
    elif error["type"] == "missing":
        message = "missing field"
    elif error["type"] in ("union_tag_invalid", "union_tag_not_found"):
        loc += ("kind",)
    return located(path, text, loc, message)


def located(path: Path, text: str, loc: tuple[Any, ...], message: str) -> str:
    """`message` about the field at `loc` of a TOML file, as `file:line: field: message`."""
    line = _locate(text, loc)
    field = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
    where = f"{path}:{line}" if line else str(path)
    return f"{where}: {field or 'scenario'}: {message}"


def _locate(text: str, loc: tuple[Any, ...]) -> int | None:
    """The line of a field: the n-th [[table]] or the [table], then `key =` inside it."""
    if not loc:
        return None
    lines = text.splitlines()
    table, rest = str(loc[0]), list(loc[1:])
    index = rest.pop(0) if rest and isinstance(rest[0], int) else None
    header = re.compile(rf"^\s*\[\[?\s*{re.escape(table)}\s*\]\]?\s*(#.*)?$")
    starts = [i for i, line in enumerate(lines) if header.match(line)]
    if not starts:
        key = re.compile(rf"^\s*{re.escape(table)}\s*=")  # a top-level key
        return next((i + 1 for i, line in enumerate(lines) if key.match(line)), None)
    if index is not None and index >= len(starts):
        return starts[-1] + 1
    start = starts[index or 0]
    key_name = next((p for p in rest if isinstance(p, str)), None)
    if key_name is None:
        return start + 1
    key = re.compile(rf"^\s*{re.escape(key_name)}\s*=")
    for i in range(start + 1, len(lines)):
        if lines[i].lstrip().startswith("["):
            break
        if key.match(lines[i]):
            return i + 1
    return start + 1
