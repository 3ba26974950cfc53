"""Rules that play the model for the scripted backend: plausible, schema-valid answers from
the facts a prompt was rendered from. Deterministic for a given request and seed.

These rules are for tests and for measuring the engine; they are never the default model.
"""

from __future__ import annotations

import random
from typing import Any

from town.llm.base import Request
from town.llm.scripted import Rule

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
    "drink": ("bar counter", "pub tables"),
    "read": ("bookshelf", "bookshelves", "reading tables", "armchair", "sofa"),
    "relax": ("sofa", "armchair", "tv", "park bench"),
    "walk": ("park bench", "fountain", "pond"),
    "garden": ("garden plots", "flower beds"),
    "shop": ("shelves", "grocery shelves", "checkout counter", "medicine shelves"),
    "buy": ("shelves", "grocery shelves", "medicine shelves", "checkout counter"),
    "paint": ("easel",),
    "piano": ("piano",),
    "music": ("piano", "stage"),
    "perform": ("stage", "piano"),
    "class": ("student desks", "lectern", "blackboard"),
    "teach": ("lectern", "blackboard"),
    "lecture": ("lectern", "blackboard"),
    "study": ("desk", "reading tables", "student desks", "computer"),
    "research": ("reading tables", "computer", "desk", "lab bench"),
    "experiment": ("lab bench",),
    "write": ("desk", "computer", "reading tables"),
    "campaign": ("podium", "desk", "reception desk"),
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
    ),
    "tidy": ("closet", "kitchen counter", "kitchen sink"),
    "tv": ("tv", "sofa"),
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
    "drink": "🍺",
    "read": "📖",
    "relax": "🛋️",
    "walk": "🚶",
    "garden": "🌱",
    "shop": "🛒",
    "buy": "🛒",
    "paint": "🎨",
    "piano": "🎹",
    "music": "🎵",
    "perform": "🎤",
    "class": "📚",
    "teach": "👩‍🏫",
    "lecture": "👩‍🏫",
    "study": "📚",
    "research": "🔬",
    "experiment": "🧪",
    "write": "✍️",
    "campaign": "📣",
    "meeting": "🏛️",
    "serve": "🧾",
    "work": "💼",
    "tidy": "🧹",
    "tv": "📺",
}
OUTINGS = (
    ("Cafe", "get coffee at {}"),
    ("Park", "take a walk in {}"),
    ("Supply Store", "buy a few things at {}"),
    ("Market", "shop for groceries at {}"),
    ("College", "read at the library of {}"),
)


def rules() -> dict[str, Rule]:
    return {"plan": plan_day, "act": choose_place}


def plan_day(request: Request, rng: random.Random) -> dict[str, Any]:
    facts = request.facts
    wake, sleep = _minutes(facts["wake"]), _minutes(facts["sleep"])
    if sleep <= wake:
        sleep += 24 * 60
    places: list[str] = [p for p in facts["places"] if p != facts["home"]]
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
    schedule = [
        {"start": f"{m // 60 % 24:02d}:{m % 60:02d}", "activity": a}
        for m, a in entries
        if wake <= m < sleep - 15
    ]
    return {"summary": f"{facts['first_name']} goes about an ordinary day.", "schedule": schedule}


def choose_place(request: Request, rng: random.Random) -> dict[str, Any]:
    facts = request.facts
    activity: str = facts["activity"].lower()
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
    keys = [k for k in OBJECTS_FOR if k in activity]
    place = None
    for key in keys:
        for wanted in OBJECTS_FOR[key]:
            fits = [o for o in here if o.rsplit(":", 1)[-1] == wanted]
            if fits:
                place = rng.choice(fits)
                break
        if place:
            break
    if place is None:
        own = [o for o in here if o.startswith(facts["home"] + ":")]
        place = rng.choice(own or here)
    key = keys[0] if keys else None
    obj = place.rsplit(":", 1)[-1]
    return {
        "place": place,
        "description": _progressive(facts["activity"])[:80],
        "emoji": EMOJI.get(key or "", "🙂"),
        "object_state": f"in use: {_progressive(facts['activity'])}"[:60] if obj else "in use",
    }


HOME_WORK = (
    (("paint", "artist", "photograph"), "paint at home"),
    (("writ", "poet", "author", "philosoph", "lawyer"), "write at home"),
    (("student",), "study at home"),
    (("engineer", "program", "developer"), "work on the computer at home"),
    (("music", "pian", "compos"), "practice piano at home"),
)


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
