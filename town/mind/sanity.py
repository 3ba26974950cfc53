"""Sanity checks on what the model plans and says, and the repairs that keep a day sensible.

A grammar makes a small model's answers valid JSON; it does not make them sensible ("06:00 have
lunch", "12:00 go to bed", a task that is the persona pasted back, a party held on the wrong
day). So a persona's own fields give a ROUTINE (waking, breakfast, work at the workplace in
working hours, lunch, dinner, the evening, bedtime) that the model's plan refines and cannot
break: each entry of a schedule is checked, a failing one is dropped and the routine (or, in a
re-plan, the plan it changes) fills its time; a task or a conversation line that fails is
replaced. Every failure is counted by kind in a `Sanity`, plain data that checkpoints keep and
that the report reads (town.report.metrics).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

from memory import MemoryKind

if TYPE_CHECKING:
    from town.agents.persona import Persona
    from town.mind.mind import Mind

DAY = 24 * 60
MIN_BLOCK = 5  # minutes: a shorter block is folded into the one before it
MAX_BLOCK = 6 * 60  # minutes: a longer block from the model is cut, the routine goes on after
BED_GRACE = 60  # a "go to bed" block may start this long before bedtime
LATE_GRACE = 30  # a schedule's first entry this near its start is taken to begin there
KEEP = 50  # failures a Sanity keeps word for word (its counts stay exact); see Sanity.failures

# (start, end, activity): what a schedule is made of here, as plan.Block without the import.
Span = tuple[int, int, str]
# An item checked and what was wrong with it ([] when nothing): ("06:00 have lunch", ["meal_time"]).
Item = tuple[str, list[str]]
# A minute of a schedule being repaired: (which block, as (source, number); its activity).
Slot = tuple[tuple[str, int], str]

WORDS = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
MEALS = {  # the word: the meal
    "breakfast": "breakfast",
    "brunch": "breakfast",
    "lunch": "lunch",
    "dinner": "dinner",
    "supper": "dinner",
}
MEAL = re.compile(r"\b(breakfast|brunch|lunch|dinner|supper)\b", re.I)
BED = re.compile(
    r"^\s*(?:(?:go(?:es|ing)?|head(?:s|ing)?|get(?:s|ting)?(?: ready)?) (?:to|for|into) "
    r"(?:bed|sleep)|sleep(?:ing|s)?|bedtime|bed)\b",
    re.I,
)
WORK = re.compile(
    r"\b(work|job|shift|stud(?:y|ies|ying)|class|lecture|teach|research|serv(?:e|ing))", re.I
)
# An address pasted into a text: "Dorm for Oak Hill College:Klaus Mueller's room:bed" (a colon
# between words; 12:00 is a time).
ADDRESS = re.compile(r"[^\s\d]:[^\s\d]")
HABIT = re.compile(r"\b(usually|always|every (?:day|morning|evening|night|week)|daily)\b", re.I)
# A task may be about another day's event (getting ready for it, talking of it), not be it.
PREP = re.compile(
    r"\b(plan|prepar|invit|decorat|organi[sz]|tell|talk|think|remind|buy|shop|get(?:ting)? "
    r"ready|set(?:ting)? up|campaign|practi[cs]|rehears|stud(?:y|ies|ying)|revis|announc|mention"
    r"|discuss|ask|bak|writ|arrang|send|chat|spread|call|e-?mail|post|mak|design|hang|clean)",
    re.I,
)
EVENTS = {
    **dict.fromkeys(("party", "parties"), "party"),
    **dict.fromkeys(("wedding", "weddings"), "wedding"),
    **dict.fromkeys(("exam", "exams"), "exam"),
    **{w: w for w in ("exhibition", "election", "concert", "festival", "celebration")},
    **{w: w for w in ("ceremony", "debate", "picnic", "parade", "recital", "tournament")},
    **{w: w for w in ("competition", "funeral", "gala", "trivia")},
}
EVENT = re.compile(r"\b(" + "|".join(EVENTS) + r")\b", re.I)
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
MONTH = (  # in full or cut to three letters ("Maria 2" is no date)
    r"(january|february|march|april|may|june|july|august|september|october|november|december"
    r"|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\b\.?"
)
DATES = (  # (pattern, group of the month, group of the day)
    (re.compile(rf"\b{MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?\b", re.I), 1, 2),
    (re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{MONTH}", re.I), 2, 1),
)
ISO = re.compile(r"\b(20\d\d)-(\d\d)-(\d\d)\b")
WEEKDAYS = re.compile(r"\b(mon|tues|wednes|thurs|fri|satur|sun)day\b", re.I)
WEEKDAY = {w: n for n, w in enumerate(("mon", "tues", "wednes", "thurs", "fri", "satur", "sun"))}
HOLIDAYS = {"valentine's day": (2, 14), "christmas": (12, 25), "halloween": (10, 31)}
OTHER_DAY = re.compile(r"\b(tomorrow|yesterday)\b(?!['’]s)", re.I)  # not "yesterday's work"
# The labels of Persona.summary(): a small model echoes them.
LABELS = ("Name:", "Innate traits:", "Occupation:", "Background:", "Currently:", "Lifestyle:")
NUMBERS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
NUMBERS += ("eleven", "twelve")
HOURS = re.compile(
    r"\b(\d{1,2}|" + "|".join(NUMBERS) + r"|noon)\b(?::(\d\d))?\s*"
    r"(am|pm|a\.m\.|p\.m\.|in the morning|in the afternoon|in the evening|at night)?",
    re.I,
)


def clock(minute: int) -> str:
    return f"{minute // 60 % 24:02d}:{minute % 60:02d}"


def waking_span(persona: Persona) -> tuple[int, int]:
    """Wake and bedtime as minutes of the waking day (bedtime may pass 1440)."""
    wake = persona.wake.hour * 60 + persona.wake.minute
    sleep = persona.sleep.hour * 60 + persona.sleep.minute
    return wake, sleep if sleep > wake else sleep + DAY


def minute_of(start: str, wake: int) -> int:
    """'HH:MM' as a minute of the waking day: a time before waking is after midnight."""
    hour, minute = map(int, start.split(":"))
    at = hour * 60 + minute
    return at + DAY if at < wake else at


# -- the routine -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Meal:
    name: str  # breakfast, lunch or dinner
    start: int  # when the routine has it
    end: int
    window: tuple[int, int]  # when a plan may have it


@dataclass(frozen=True, slots=True)
class Routine:
    """A persona's ordinary day, from its own fields: what a plan refines and cannot break."""

    wake: int
    sleep: int
    blocks: tuple[Span, ...]  # from waking to bedtime, end to end
    meals: tuple[Meal, ...]  # those the waking day has room for
    windows: dict[str, tuple[int, int]]  # when each meal may be had, in any day
    work: tuple[int, int] | None  # working hours, for those with a workplace
    workplace: tuple[str, ...]  # lower-case names that say "at work": its sector, its room

    def index_at(self, minute: int) -> int:
        for n, (start, end, _) in enumerate(self.blocks):
            if start <= minute < end:
                return n
        return 0 if minute < self.wake else len(self.blocks) - 1

    def activity_at(self, minute: int) -> str:
        return self.blocks[self.index_at(minute)][2]

    def is_work(self, activity: str) -> bool:
        text = activity.lower()
        if MEAL.search(text):
            return False
        return bool(WORK.search(text)) or any(name in text for name in self.workplace)


def routine(persona: Persona) -> Routine:
    p = persona
    return _routine(p.wake, p.sleep, p.workplace, p.lifestyle)


@cache
def _routine(wake_at: dt.time, sleep_at: dt.time, workplace: str | None, lifestyle: str) -> Routine:
    wake = wake_at.hour * 60 + wake_at.minute
    sleep = sleep_at.hour * 60 + sleep_at.minute
    sleep = sleep if sleep > wake else sleep + DAY
    slots = [_free(m) for m in range(wake, sleep)]

    def put(start: int, end: int, activity: str) -> None:
        for m in range(max(start, wake), min(end, sleep)):
            slots[m - wake] = activity

    work, names = None, ()
    if workplace:
        sector, _, room = workplace.partition(":")
        names = tuple(n.lower() for n in (sector, room) if n)
        work = _working_hours(lifestyle, wake, sleep)
        put(*work, f"work at {sector}")
    lunch = max(12 * 60, wake + 3 * 60)
    # Dinner after a working day that ends after six (the cafe closes at eight).
    dinner = work[1] if work and 18 * 60 < work[1] <= 21 * 60 else 18 * 60
    meals = [
        Meal("breakfast", wake + 30, wake + 60, (wake, wake + 3 * 60)),
        Meal("lunch", lunch, lunch + 60, (11 * 60, max(15 * 60, lunch + 60))),
        Meal("dinner", dinner, dinner + 60, (17 * 60, 22 * 60)),
    ]
    # A day too short for a meal still has no lunch at eight in the morning.
    windows = {m.name: m.window for m in meals}
    meals = [m for m in meals if wake + 30 <= m.start and m.end <= sleep]
    for meal in meals:  # lunch where one is at midday; the others at home
        put(meal.start, meal.end, f"have {meal.name}" + (" at home" * (meal.name != "lunch")))
    put(wake, wake + 30, "get up and get ready for the day")
    blocks: list[Span] = []
    for m, activity in enumerate(slots, wake):
        if blocks and blocks[-1][2] == activity:
            blocks[-1] = (blocks[-1][0], m + 1, activity)
        else:
            blocks.append((m, m + 1, activity))
    return Routine(wake, sleep, tuple(blocks), tuple(meals), windows, work, names)


def _free(minute: int) -> str:
    """Time the routine leaves free, by the part of the day (no one block grows too long)."""
    hour = minute // 60
    if hour < 12:
        return "spend the morning at home"
    if hour < 17:
        return "spend the afternoon at home"
    return "relax at home" if hour < 21 else "wind down at home"


def _working_hours(lifestyle: str, wake: int, sleep: int) -> tuple[int, int]:
    """The hours a lifestyle names ("opens the cafe at eight and closes it at eight in the
    evening", "from nine to five"), else nine to five; within the waking day."""
    hours = []
    for number, minutes, part in HOURS.findall(lifestyle):
        hour = 12 if number.lower() == "noon" else _number(number)
        if not 0 < hour < 24:
            continue
        pm = hour < 12 and part.lower().startswith(("p", "in the a", "in the e", "at n"))
        hours.append((hour + 12 * pm) * 60 + int(minutes or 0))
    start, end = [*hours, 17 * 60][:2] if hours else (9 * 60, 17 * 60)
    if end <= start:
        end += 12 * 60  # "nine to five"
    if not (5 * 60 <= start < 15 * 60 and start + 2 * 60 <= end <= 24 * 60):
        start, end = 9 * 60, 17 * 60
    start = max(start, wake + 60)
    return start, max(start, min(end, sleep - 60))


def _number(word: str) -> int:
    return int(word) if word.isdigit() else NUMBERS.index(word.lower()) + 1


# -- what a text may not be --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Context:
    """What the checks of one agent's answers need to know."""

    today: dt.date
    persona: str  # the agent's own description, which an answer must not paste back
    elsewhere: frozenset[str] = frozenset()  # events its memories place on another day only
    places: tuple[str, ...] = ()  # the sectors it knows, by name


def context(mind: Mind, today: dt.date) -> Context:
    """The context of `mind`'s answers today: its persona, its known places, and the events
    (a party, an exam) that its memories and promises date on another day and not today."""
    texts = [m.text for m in mind.memory.stream if m.kind != MemoryKind.PLAN]
    other: set[str] = set()
    here: set[str] = set()
    for text in texts:
        found = events(text)
        if found:  # "tomorrow" in a memory is relative to when it was said: dates only
            days = _days(text, today)
            other |= found if days - {today, today.weekday()} else set()
            here |= found if days & {today, today.weekday()} else set()
    for day, _, activity in mind.pending.promises:
        (here if day == today.isoformat() else other).update(events(activity))
    known = tuple(mind.known.names())
    return Context(today, mind.persona.summary(), frozenset(other - here), known)


def words(text: str) -> list[str]:
    return WORDS.findall(text.lower().replace("’", "'"))


def events(text: str) -> set[str]:
    """The events a text names (a party, an exam), by one name each."""
    return {EVENTS[w.lower()] for w in EVENT.findall(text)}


def pasted(text: str, ctx: Context) -> bool:
    """Whether `text` is the persona pasted back: two of its labels, runs of five words found
    word for word in two of its lines (a dump), or a sentence of it (8 of its words, or 4 in 5
    of the text), but of what occupies the agent these days ("Currently:"), which a plan or a
    line may well be about. Place names aside: "work at The Willows Market and Pharmacy"
    pastes nothing of "pharmacist at The Willows Market and Pharmacy", nor "go to bed at
    23:00" of "goes to bed at 23:00" (numbers aside too)."""
    if sum(label in text for label in LABELS) >= 2:
        return True
    got = words(_unplaced(text, ctx.places))
    lines = _unplaced(ctx.persona, ctx.places).splitlines()
    found = [_covered(got, line) for line in lines]
    if sum(bool(f) for f in found) >= 2:
        return True
    own = set().union(
        *(f for f, line in zip(found, lines, strict=True) if line[:10] != "Currently:")
    )
    return len(own) >= 8 or (len(got) >= 5 and len(own) >= 0.8 * len(got))


def copied(text: str, source: str, share: float) -> bool:
    """Whether at least `share` of the words of `text` lie in runs of five words found in
    `source` (line by line)."""
    got = words(text)
    return len(got) >= 5 and len(_covered(got, source)) >= share * len(got)


def _covered(got: list[str], source: str, n: int = 5) -> set[int]:
    """The positions of `got` in runs of `n` words found in `source`."""
    grams = _grams(source, n)
    return {
        i + k for i in range(len(got) - n + 1) if tuple(got[i : i + n]) in grams for k in range(n)
    }


@lru_cache(maxsize=256)
def _grams(source: str, n: int) -> frozenset[tuple[str, ...]]:
    runs = (words(line) for line in source.splitlines())
    return frozenset(tuple(w[i : i + n]) for w in runs for i in range(len(w) - n + 1))


@lru_cache(maxsize=1024)  # the same persona, again and again
def _unplaced(text: str, places: tuple[str, ...]) -> str:
    """The text with each place name one word, "place", and without numbers."""
    return re.sub(r"\d+", "", _place_names(places).sub("place", text) if places else text)


@lru_cache(maxsize=64)
def _place_names(places: tuple[str, ...]) -> re.Pattern[str]:
    names = sorted(places, key=len, reverse=True)
    return re.compile("|".join(re.escape(n) for n in names), re.I)


def _days(text: str, today: dt.date) -> set[dt.date | int]:
    """The dates (and weekdays, as numbers) a text names."""
    found: set[dt.date | int] = set()
    for pattern, month, day in DATES:
        for match in pattern.finditer(text):
            number = MONTHS.index(match[month][:3].lower()) + 1
            found |= _date(today.year, number, int(match[day]))
    for year, month, day in ISO.findall(text):
        found |= _date(int(year), int(month), int(day))
    lowered = text.lower().replace("’", "'")
    for name, (month, day) in HOLIDAYS.items():
        if name in lowered:
            found |= _date(today.year, month, day)
    found |= {WEEKDAY[w.lower()] for w in WEEKDAYS.findall(text)}
    return found


def _date(year: int, month: int, day: int) -> set[dt.date | int]:
    try:
        return {dt.date(year, month, day)}
    except ValueError:
        return set()


def names_other_day(text: str, today: dt.date) -> bool:
    """Whether a text names a day other than `today`: a date, a weekday, tomorrow."""
    other = _days(text, today) - {today, today.weekday()}
    return bool(other) or bool(OTHER_DAY.search(text))


def other_day(text: str, ctx: Context) -> bool:
    """Whether a text of something done now belongs to another day: it names another day or
    an event that happens on another day, and is not getting ready for it or talking of it."""
    if PREP.search(text):
        return False
    return names_other_day(text, ctx.today) or bool(events(text) & ctx.elsewhere)


def task_problems(description: str, ctx: Context) -> list[str]:
    """What is wrong with a task (5-15 minutes of doing something now)."""
    checks = (
        ("persona", pasted(description, ctx)),
        ("address", bool(ADDRESS.search(description))),
        ("other_day", other_day(description, ctx)),
        ("habit", bool(HABIT.search(description))),
    )
    return [kind for kind, failed in checks if failed]


def line_problems(text: str, earlier: Sequence[str], ctx: Context) -> list[str]:
    """What is wrong with a line of a conversation: said before, or the persona pasted back."""
    said = " ".join(words(text))
    repeat = any(said == " ".join(words(e)) for e in earlier) or copied(
        text, "\n".join(earlier), 0.8
    )
    checks = (("repeat", repeat), ("persona", pasted(text, ctx)))
    return [kind for kind, failed in checks if failed]


# -- schedules ---------------------------------------------------------------------------------


def block_problems(
    activity: str, start: int, end: int, routine: Routine, ctx: Context
) -> list[str]:
    """What is wrong with one entry of a schedule starting at `start` of a day ending at
    `end` (bedtime)."""
    text = activity.lower()
    meals = {MEALS[w.lower()] for w in MEAL.findall(text)}
    windows = routine.windows
    named = [s for s in ctx.places if s.lower() in text]
    checks = (
        ("bed_early", bool(BED.match(activity)) and start < end - BED_GRACE),
        ("meal_time", any(not (w[0] <= start < w[1]) for w in map(windows.get, meals) if w)),
        ("persona", pasted(activity, ctx)),
        ("address", bool(ADDRESS.search(activity))),
        ("other_day", other_day(activity, ctx)),
        (
            "work_elsewhere",
            bool(routine.work and re.search(r"\bwork", text) and named)
            and not any(name in text for name in routine.workplace),
        ),
    )
    return [kind for kind, failed in checks if failed]


def repair_schedule(
    routine: Routine,
    entries: Sequence[tuple[str, str]],
    start: int,
    end: int,
    ctx: Context,
    base: Sequence[Span] = (),
    replan: bool = False,
) -> tuple[list[Span], list[Item]]:
    """The model's schedule (("HH:MM", activity), as it answered) made sensible from `start`
    to `end`, and each entry checked (plus what it left out). A failing entry's time goes to
    `base` (in a re-plan, the plan it changes) or else the routine. Then the routine's meals
    go where none is planned, and its work where the plan works less than half the working
    hours; in a re-plan, not over what the agent does right now (its first entry)."""
    items: list[Item] = []
    timed: list[tuple[int, str, str]] = []
    for hhmm, activity in entries:
        at, activity = minute_of(hhmm, routine.wake), activity.strip()
        if at >= end and BED.match(activity):
            continue  # "23:00 go to bed": the end of the day, said aloud
        if start - LATE_GRACE <= at < start:
            at = start  # "10:00" for now, at 10:03
        if start <= at < end:
            timed.append((at, activity, f"{hhmm} {activity}"))
        else:
            items.append((f"{hhmm} {activity}", ["outside_day"]))
    kept = _increasing([at for at, _, _ in timed])
    items += [(t[2], ["backwards"]) for n, t in enumerate(timed) if n not in kept]
    timed = [timed[n] for n in sorted(kept)]
    if timed and timed[0][0] - start <= LATE_GRACE:
        timed[0] = (start, *timed[0][1:])  # "06:15 get up", on waking at 06:00
    # Minute by minute, (which block, its activity); None: still to fill.
    slots: list[Slot | None] = [None] * (end - start)

    def put(a: int, b: int, key: tuple[str, int], activity: str) -> None:
        for m in range(max(a, start), min(b, end)):
            slots[m - start] = (key, activity)

    if not timed or timed[0][0] > start:
        first = timed[0][0] if timed else end
        items.append((f"nothing planned from {clock(start)} to {clock(first)}", ["late_start"]))
    for n, (at, activity, text) in enumerate(timed):
        until = timed[n + 1][0] if n + 1 < len(timed) else end
        if n + 1 == len(timed):
            # A schedule that stops early ("... 12:00 have lunch") leaves the rest of the day as
            # it was: its last entry ends with the block it starts in (in a re-plan the plan's,
            # else the routine's), and that plan or the routine goes on.
            usual = routine.blocks[routine.index_at(at)]
            block = next((b for b in base if b[0] <= at < b[1]), usual)
            until = min(until, max(block[1], at + MIN_BLOCK))
        kinds = block_problems(activity, at, end, routine, ctx)
        if until - at < MIN_BLOCK and n + 1 < len(timed):
            kinds.append("too_short")
        longest = _longest(routine, activity, at)
        if not kinds and until - at > longest:
            kinds, until = ["too_long"], at + longest
        if not set(kinds) - {"too_long"}:
            put(at, until, ("model", n), activity)
        items.append((text, kinds))
    for n, (a, b, activity) in enumerate(base):
        for m in range(max(a, start), min(b, end)):
            slots[m - start] = slots[m - start] or (("base", n), activity)
    for m in range(start, end):
        if slots[m - start] is None:
            index = routine.index_at(m)
            slots[m - start] = (("routine", index), routine.blocks[index][2])
    exempt = ("model", 0) if replan else None  # what the agent does now, in a re-plan
    filled = [slot for slot in slots if slot is not None]  # all of them, now
    items += _meals(routine, filled, start, end, exempt)
    items += _work(routine, filled, start, end, exempt)
    return _spans(filled, start), items


def _longest(routine: Routine, activity: str, at: int) -> int:
    """How long a block may run: work at the workplace until the working hours end (a cafe
    owner's afternoon, 13:00-20:00, is her routine's own block), anything else MAX_BLOCK."""
    text = activity.lower()
    works = re.search(r"\bwork", text) and any(name in text for name in routine.workplace)
    if routine.work and works and routine.work[0] <= at < routine.work[1]:
        return max(MAX_BLOCK, routine.work[1] - at)
    return MAX_BLOCK


def _increasing(values: list[int]) -> set[int]:
    """The positions of a longest strictly increasing subsequence (the earliest such)."""
    best: list[list[int]] = []
    for i, value in enumerate(values):
        before = [best[j] for j in range(i) if values[j] < value]
        best.append([*max(before, key=len, default=[]), i])
    return set(max(best, key=len, default=[]))


def _meals(
    routine: Routine, slots: list[Slot], start: int, end: int, exempt: tuple[str, int] | None
) -> list[Item]:
    items = []
    for meal in routine.meals:
        if not start <= meal.start < end or slots[meal.start - start][0] == exempt:
            continue  # a re-plan's meal already past, or delayed by what came up
        low, high = max(meal.window[0], start), min(meal.window[1], end)
        planned = {slots[m - start][1] for m in range(low, high)}
        if any(meal.name in {MEALS[w.lower()] for w in MEAL.findall(a)} for a in planned):
            continue
        index = routine.index_at(meal.start)
        for m in range(meal.start, min(meal.end, end)):
            slots[m - start] = (("routine", index), routine.blocks[index][2])
        items.append((f"no {meal.name} between {clock(low)} and {clock(high)}", ["missing_meal"]))
    return items


def _work(
    routine: Routine, slots: list[Slot], start: int, end: int, exempt: tuple[str, int] | None
) -> list[Item]:
    if routine.work is None:
        return []
    low, high = max(routine.work[0], start), min(routine.work[1], end)
    free = [
        m
        for m in range(low, high)
        if slots[m - start][0] != exempt and not MEAL.search(slots[m - start][1])
    ]
    working = sum(routine.is_work(slots[m - start][1]) for m in free)
    if len(free) < 60 or 2 * working >= len(free):
        return []
    for m in free:
        if not routine.is_work(slots[m - start][1]):
            index = routine.index_at(m)
            slots[m - start] = (("routine", index), routine.blocks[index][2])
    hours = f"{working / 60:.1f} of {len(free) / 60:.1f} working hours"
    return [(f"at work {hours} from {clock(low)} to {clock(high)}", ["missing_work"])]


def _spans(slots: list[Slot], start: int) -> list[Span]:
    """The minutes as blocks; one shorter than MIN_BLOCK joins the block before it."""
    runs: list[list[Any]] = []
    for m, (key, activity) in enumerate(slots, start):
        if runs and runs[-1][0] == key:
            runs[-1][2] = m + 1
        else:
            runs.append([key, m, m + 1, activity])
    spans: list[Span] = []
    for _, a, b, activity in runs:
        if spans and (b - a < MIN_BLOCK or spans[-1][1] - spans[-1][0] < MIN_BLOCK):
            kept = spans[-1] if b - a < MIN_BLOCK else (a, b, activity)
            spans[-1] = (spans[-1][0], b, kept[2])
        else:
            spans.append((a, b, activity))
    return spans


# -- the counts --------------------------------------------------------------------------------


@dataclass(slots=True)
class Sanity:
    """What the checks found in one agent's answers, as plain data (checkpoints keep it).

    `checked` and `failed` count items by what they are (block, task, line, summary); `repairs`
    counts each failure by kind ("block:meal_time"); `degenerate` counts the answers, by
    purpose, that were valid but failed a check. `failures` keeps the latest KEEP failures word
    for word, numbered: hourly checkpoints together list them all unless an hour has more."""

    checked: dict[str, int] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)
    repairs: dict[str, int] = field(default_factory=dict)
    degenerate: dict[str, int] = field(default_factory=dict)
    failures: list[dict[str, Any]] = field(default_factory=list)

    def record(self, tick: int, purpose: str, items: Iterable[tuple[str, str, list[str]]]) -> bool:
        """Count one answer's items, each (what, text, kinds); True if any failed."""
        bad = False
        for what, text, kinds in items:
            self.checked[what] = self.checked.get(what, 0) + 1
            if not kinds:
                continue
            bad = True
            self.failed[what] = self.failed.get(what, 0) + 1
            for kind in kinds:
                key = f"{what}:{kind}"
                self.repairs[key] = self.repairs.get(key, 0) + 1
            number = sum(self.failed.values())
            self.failures.append(
                {"n": number, "tick": tick, "what": what, "kinds": list(kinds), "text": text}
            )
        if bad:
            self.degenerate[purpose] = self.degenerate.get(purpose, 0) + 1
            del self.failures[:-KEEP]
        return bad

    def get_state(self) -> dict[str, Any]:
        return {
            "checked": dict(self.checked),
            "failed": dict(self.failed),
            "repairs": dict(self.repairs),
            "degenerate": dict(self.degenerate),
            "failures": [dict(f, kinds=list(f["kinds"])) for f in self.failures],
        }

    @classmethod
    def from_state(cls, data: dict[str, Any] | None) -> Sanity:
        """From a checkpoint; one older than the checks has none: nothing counted yet."""
        if not data:
            return cls()
        return cls(**{k: v.copy() for k, v in data.items()})
