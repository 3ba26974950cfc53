"""Rules that play the model for the scripted backend: plausible, schema-valid answers from
the facts a prompt was rendered from. Deterministic for a given request and seed.

They exist for tests and for measuring the engine (they are never the default model), but
they are good enough to let the town's social life happen: people greet each other, pass on
news they find important, accept invitations and keep them.
"""

from __future__ import annotations

import calendar
import datetime as dt
import random
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

from town.llm.base import Request
from town.llm.scripted import Rule
from town.mind.sanity import copied
from town.scenario import mentions

# Activity keyword -> object names that suit it, best first.
OBJECTS_FOR = {
    "sleep": ("bed",),
    "nap": ("bed", "sofa"),
    "get ready": ("shower", "bathroom sink", "toilet"),
    "shower": ("shower",),
    "breakfast": ("stove", "dining table", "kitchen counter", "customer seating"),
    "lunch": ("customer seating", "dining table", "stove", "pub tables"),
    "dinner": ("stove", "dining table", "pub tables"),
    "cook": ("stove", "cooking area", "grill"),
    "coffee": ("coffee machine", "customer seating"),
    "party": ("customer seating", "piano", "cafe counter"),
    "drink": ("bar counter", "pub tables"),
    "read": ("bookshelf", "bookshelves", "reading tables", "armchair", "sofa"),
    "relax": ("sofa", "armchair", "tv", "park bench"),
    "walk": ("park bench", "fountain", "pond"),
    "garden": ("garden plots", "flower beds"),
    "fire": ("cooking area", "stove", "grill"),
    "shop": ("shelves", "grocery shelves", "checkout counter", "medicine shelves"),
    "buy": ("shelves", "grocery shelves", "medicine shelves", "checkout counter"),
    "paint": ("easel",),
    "piano": ("piano",),
    "music": ("piano", "stage"),
    "perform": ("stage", "piano"),
    "class": ("student desks", "lectern", "blackboard"),
    "teach": ("lectern", "blackboard"),
    "study": ("desk", "reading tables", "student desks", "computer"),
    "research": ("reading tables", "computer", "desk", "lab bench"),
    "experiment": ("lab bench",),
    "write": ("desk", "computer", "reading tables"),
    "campaign": ("podium", "reception desk", "desk"),
    "meeting": ("council seats", "podium"),
    "serve": ("cafe counter", "bar counter", "checkout counter", "pharmacy counter"),
    "work": (
        "cafe counter",
        "bar counter",
        "pharmacy counter",
        "checkout counter",
        "desk",
        "computer",
        "lectern",
        "easel",
        "lab bench",
    ),
    "tidy": ("closet", "kitchen counter", "kitchen sink"),
}
EMOJI = {
    "sleep": "😴",
    "get ready": "🚿",
    "shower": "🚿",
    "breakfast": "🍳",
    "lunch": "🥪",
    "dinner": "🍝",
    "cook": "🍳",
    "coffee": "☕",
    "party": "🎉",
    "drink": "🍺",
    "read": "📖",
    "relax": "🛋️",
    "walk": "🚶",
    "garden": "🌱",
    "fire": "🔥",
    "shop": "🛒",
    "buy": "🛒",
    "paint": "🎨",
    "piano": "🎹",
    "music": "🎵",
    "perform": "🎤",
    "class": "📚",
    "teach": "👩‍🏫",
    "study": "📚",
    "research": "🔬",
    "experiment": "🧪",
    "write": "✍️",
    "campaign": "📣",
    "meeting": "🏛️",
    "serve": "🧾",
    "work": "💼",
    "tidy": "🧹",
}
OUTINGS = (
    ("Cafe", "get coffee at {}"),
    ("Park", "take a walk in {}"),
    ("Supply Store", "buy a few things at {}"),
    ("Market", "shop for groceries at {}"),
    ("College", "read at the library of {}"),
)
HOME_WORK = (
    (("paint", "artist", "photograph"), "paint at home"),
    (("writ", "poet", "author", "philosoph", "lawyer"), "write at home"),
    (("student",), "study at home"),
    (("engineer", "program", "developer"), "work on the computer at home"),
    (("music", "pian", "compos"), "practice piano at home"),
)
# Words that make a memory news worth telling, and raise its importance.
NEWS = ("party", "election", "mayor", "fire", "wedding", "exhibition", "trivia", "garden day")
MONTHS = list(calendar.month_name)[1:]  # English under the default C locale
WHEN = re.compile(rf"({'|'.join(MONTHS)}) (\d{{1,2}})")
HOUR = re.compile(r"\b(\d{1,2})(?::(\d\d))? ?(am|pm)\b", re.I)
AT_PLACE = re.compile(r" at ((?:[A-Z][\w']*)(?: (?:and |for |of )?[A-Z][\w']*)*)")


def rules() -> dict[str, Rule]:
    return {
        "plan": plan,
        "act": decompose,
        "importance": importance,
        "react": react,
        "converse": converse,
        "reflect": reflect,
        "interview": interview,
        "judge": judge,
    }


# -- plan ------------------------------------------------------------------------------------


def plan(request: Request, rng: random.Random) -> dict[str, Any]:
    if request.schema is not None and request.schema.__name__ == "ReplanAnswer":
        return _replan(request.facts)
    return _plan_day(request.facts, rng)


def _plan_day(facts: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    wake, sleep = _minutes(facts["wake"]), _minutes(facts["sleep"])
    if sleep <= wake:
        sleep += 24 * 60
    places = [p for p in facts["places"] if p != facts["home"]]
    cafe = next((p for p in places if "Cafe" in p), None)
    pub = next((p for p in places if "Pub" in p), None)
    entries = [(wake, "get ready for the day"), (wake + 30, "have breakfast at home")]
    t = wake + 60 + 15 * rng.randint(0, 2)
    if facts.get("workplace"):
        work = facts["workplace"]
        entries.append((max(t, 8 * 60 + 15 * rng.randint(0, 4)), f"work at {work}"))
        lunch = 12 * 60 + 15 * rng.randint(0, 4)
        entries.append(
            (
                lunch,
                f"have lunch at {cafe}" if cafe and rng.random() < 0.6 else "have lunch at home",
            )
        )
        entries.append((lunch + 60, f"work at {work}"))
        t = 17 * 60 + 15 * rng.randint(0, 4)
    else:
        entries.append((t, _home_work(facts["occupation"])))
        t = 12 * 60 + 15 * rng.randint(0, 2)
        entries.append((t, "have lunch at home"))
        t += 60
    outings = [(key, text) for key, text in OUTINGS if any(key in p for p in places)]
    for key, text in rng.sample(outings, k=min(2, len(outings))):
        place = next(p for p in places if key in p)
        entries.append((t, text.format(place)))
        t += 60 + 15 * rng.randint(0, 2)
    entries.append((max(t, 18 * 60), "cook dinner at home"))
    t = max(t, 18 * 60) + 60
    if pub and rng.random() < 0.4:
        entries.append((t, f"have a drink at {pub}"))
        t += 90
    entries.append((t, "relax at home with a book"))
    schedule = [{"start": _clock(m), "activity": a} for m, a in entries if wake <= m < sleep - 15]
    chats = [m for m in facts["memories"] if m.startswith("Conversation with")]
    plan = {"summary": f"{facts['first_name']} goes about an ordinary day.", "schedule": schedule}
    if facts.get("look_back", True):  # not asked on the run's first day
        plan = {"yesterday": chats[0][:300] if chats else "nothing yet", **plan}
    return plan


def _replan(facts: dict[str, Any]) -> dict[str, Any]:
    now = _minutes(facts["now"])
    reason: str = facts["reason"]
    rest = [(s, a) for s, a in facts["plan"] if _minutes(s) > now + 30]
    agreed = re.search(r"agreed to (.+) at (\d\d:\d\d)$", reason)
    if agreed:
        current = next(
            (a for s, a in reversed(facts["plan"]) if _minutes(s) <= now), "go about the day"
        )
        entries = [
            (facts["now"], current),
            (agreed.group(2), agreed.group(1)),
            *((s, a) for s, a in rest if s != agreed.group(2)),
        ]
    else:
        place = next((p for p in facts["places"] if p.lower() in reason.lower()), None)
        first = (
            f"deal with it: {reason}"
            if "fire" in reason
            else f"go to {place}"
            if place
            else f"think it over: {reason}"
        )
        entries = [(facts["now"], first[:120]), *rest]
    entries.sort(key=lambda e: _minutes(e[0]))
    return {"schedule": [{"start": s, "activity": a} for s, a in entries][:16]}


# -- act -------------------------------------------------------------------------------------


def decompose(request: Request, rng: random.Random) -> dict[str, Any]:
    facts = request.facts
    place = _place_for(facts["activity"], facts, rng)
    key = next((k for k in OBJECTS_FOR if k in facts["activity"].lower()), "")
    doing = _progressive(facts["activity"])[:60]
    minutes = int(facts["minutes"])
    # Quarter-hour tasks, all at the chosen place and described alike, so that neighbours do
    # not see (and rate) a new event every quarter of an hour.
    parts = max(1, min(4, minutes // 15))
    return {
        "tasks": [
            {
                "minutes": max(1, minutes // parts),
                "description": doing,
                "place": place,
                "emoji": EMOJI.get(key, "🙂"),
            }
            for _ in range(parts)
        ]
    }


def _place_for(activity: str, facts: dict[str, Any], rng: random.Random) -> str:
    activity = activity.lower()
    options: list[str] = list(facts["options"])
    sectors = {o.split(":")[0] for o in options}
    named = [s for s in sectors if s.lower() in activity]
    if named:
        sector = max(named, key=len)
    elif "work" in activity and facts.get("workplace"):
        sector = facts["workplace"].split(":")[0]
    else:
        sector = facts["home"].split(":")[0]
    here = [o for o in options if o.split(":")[0] == sector] or options
    for key in (k for k in OBJECTS_FOR if k in activity):
        for wanted in OBJECTS_FOR[key]:
            fits = [o for o in here if o.rsplit(":", 1)[-1] == wanted]
            if fits:
                return rng.choice(fits)
    own = [o for o in here if o.startswith(facts["home"] + ":")]
    return rng.choice(own or here)


# -- importance, reactions, conversations ----------------------------------------------------


def importance(request: Request, rng: random.Random) -> dict[str, Any]:
    return {"ratings": [_importance(text) for text in request.facts["texts"]]}


def _importance(text: str) -> int:
    lowered = text.lower()
    if any(word in lowered for word in NEWS):
        return 8
    if "talking with" in lowered or "thinks:" in lowered:
        return 4
    return 2


def react(request: Request, rng: random.Random) -> dict[str, Any]:
    facts = request.facts
    if facts["kind"] == "world":
        return {"talk": False, "opening": "", "change_plans": True, "reason": facts["event"]}
    other = facts.get("other")
    if other and rng.random() < (0.35 if facts["place_public"] else 0.2):
        news = _news(facts["memories"])
        hello = f"Hi {other.split()[0]}!"
        opening = f"{hello} Did you hear? {news}" if news else f"{hello} How are you today?"
        return {
            "talk": True,
            "opening": opening[:200],
            "change_plans": False,
            "reason": "to catch up",
        }
    return {"talk": False, "opening": "", "change_plans": False, "reason": "busy"}


def converse(request: Request, rng: random.Random) -> dict[str, Any]:
    facts = request.facts
    if request.schema is not None and request.schema.__name__ == "LookBackAnswer":
        return _look_back(facts)
    lines: list[tuple[str, str]] = [tuple(x) for x in facts["lines"]]  # type: ignore[misc]
    said = " ".join(text for _, text in lines)
    partner = facts["partners"][0].split()[0]
    # News said already, if only in part (a line is cut at 200 characters), is no news.
    news = _news([m for m in facts["memories"] if not copied(m, said, 0.5)])
    if news and news not in said:
        line = f"You know, {partner}, {news}"
    elif len(lines) < 2:
        line = f"I'm doing well, thanks {partner}. Busy day!"
    else:
        choices = [
            f"That's good to hear, {partner}.",
            "Really? Tell me more.",
            "I should get back to it. See you around!",
        ]
        # A line said already is asked again (sanity.line_problems): say another, or go.
        choices = [text for text in choices if text not in said]
        line = rng.choice(choices) if choices else f"Good talking to you, {partner}. Bye!"
    end = len(lines) + 1 >= facts["max_turns"] or (len(lines) >= 3 and rng.random() < 0.5)
    end = end or line.endswith("Bye!")
    return {"utterance": line[:200], "end": end}


def _look_back(facts: dict[str, Any]) -> dict[str, Any]:
    me = facts["name"]
    heard = [text for speaker, text in facts["lines"] if speaker != me]
    news = [text for text in heard if any(word in text.lower() for word in NEWS)]
    with_whom = " and ".join(facts["partners"])
    summary = f"{facts['first_name']} chatted with {with_whom}."
    if news:
        summary += " They said: " + " ".join(news)
    views = [
        {"person": p, "view": f"{p.split()[0]} is friendly and easy to talk to."}
        for p in facts["partners"]
    ][:4]
    return {
        "summary": summary[:400],
        "importance": 6 if news else 3,
        "relationships": views,
        "commitment": _invitation(" ".join(news), facts["date"]),
    }


def _invitation(text: str, today: str) -> dict[str, str] | None:
    """A party (or the like) with a day, an hour and a place: something to go to."""
    when, hour, where = WHEN.search(text), HOUR.search(text), AT_PLACE.search(text)
    if not (when and hour and where):
        return None
    year = dt.date.fromisoformat(today).year
    day = dt.date(year, MONTHS.index(when.group(1)) + 1, int(when.group(2)))
    h = int(hour.group(1)) % 12 + (12 if hour.group(3).lower() == "pm" else 0)
    what = "the party" if "party" in text.lower() else "the event"
    return {
        "day": day.isoformat(),
        "start": f"{h:02d}:{int(hour.group(2) or 0):02d}",
        "activity": f"go to {what} at {where.group(1)}"[:120],
    }


def _news(memories: Sequence[str]) -> str | None:
    for text in memories:
        if any(word in text.lower() for word in NEWS) and not text.startswith("Conversation"):
            return text
    return None


# -- reflection and interviews ---------------------------------------------------------------


def reflect(request: Request, rng: random.Random) -> dict[str, Any]:
    facts = request.facts
    first = facts["first_name"]
    if "count" in facts:  # the focal questions
        people = Counter(p for m in facts["memories"] for p in facts["people"] if p in m)
        asked = [f"What does {first} think of {p}?" for p, _ in people.most_common(2)]
        asked += [f"What is {first} working on?", f"What matters to {first} these days?"]
        return {"questions": asked[: facts["count"]]}
    insights = []
    for q, question in enumerate(facts["questions"], 1):
        subject = question.split(" of ")[-1].rstrip("?") if " of " in question else None
        cited = [n for n, text in facts["statements"] if subject and subject in text]
        cited = cited or [n for n, _ in facts["statements"]][:3]
        text = (
            f"{first} has been getting to know {subject}."
            if subject
            else f"{first} keeps busy with the daily routine."
        )
        insights.append({"question": q, "text": text, "evidence": cited[:5], "importance": 5})
    return {"insights": insights}


def interview(request: Request, rng: random.Random) -> str:
    facts = request.facts
    answer = f"I'm {facts['first_name']}."
    if facts.get("plan") and any(w in facts["question"].lower() for w in ("plan", "today")):
        answer += f" {facts['plan']}"
    if facts["memories"]:
        answer += " What comes to mind: " + " ".join(facts["memories"][:2])
    return answer


# -- judging interviews (the report's measures) -------------------------------------------------


def judge(request: Request, rng: random.Random) -> dict[str, Any]:
    facts = request.facts
    if "fact" in facts:
        return {
            "knows": "yes" if _knows(facts["answer"], facts["fact"], facts["keywords"]) else "no"
        }
    # Believability: the more an answer says from the agent's own life, the better it scores.
    words = len(re.findall(r"\w+", facts["answer"]))
    return {"reason": f"{words} words", "score": 1 + min(4, words // 15)}


def _knows(answer: str, fact: str, keywords: list[str]) -> bool:
    if keywords:
        return mentions(answer, keywords)
    wanted = {w for w in re.findall(r"\w{4,}", fact.lower())}
    said = set(re.findall(r"\w{4,}", answer.lower()))
    return len(wanted & said) * 2 >= len(wanted)


# -- helpers ---------------------------------------------------------------------------------


def _home_work(occupation: str) -> str:
    job = occupation.lower()
    return next(
        (task for keys, task in HOME_WORK if any(k in job for k in keys)),
        "tidy up and read at home",
    )


def _progressive(activity: str) -> str:
    """'have lunch at home' -> 'having lunch at home'."""
    verb, _, rest = activity.strip().partition(" ")
    if verb.endswith("e") and not verb.endswith("ee"):
        verb = verb[:-1]
    if len(verb) > 2 and verb[-1] in "tpg" and verb[-2] in "aeiou" and verb[-3] not in "aeiou":
        verb += verb[-1]
    return f"{verb}ing {rest}".strip()


def _minutes(clock: str) -> int:
    hour, minute = map(int, clock.split(":"))
    return hour * 60 + minute


def _clock(minute: int) -> str:
    return f"{minute // 60 % 24:02d}:{minute % 60:02d}"
