"""What an agent is doing, as others see it: "Isabella Rodriguez is having lunch", never "is
have lunch at Hobbs Cafe" (a plan's activity, or a task a small model wrote as "Isabella
starts her day"). A task's description becomes the words after "is"."""

from __future__ import annotations

import re

# Short verbs whose last consonant doubles before -ing (get -> getting); others just add it.
# fmt: off
DOUBLED = frozenset({
    "bat", "chat", "chop", "dig", "drop", "get", "grab", "hit", "hug", "jog", "mop", "nap", "pat",
    "plan", "put", "rub", "run", "set", "shop", "sip", "sit", "skip", "slam", "stop", "swim",
    "tap", "trim", "wrap",
})
AS_IS = frozenset({"be", "see", "flee", "agree", "free", "ski"})  # -ing goes after the e
IE = frozenset({"lie", "die", "tie"})  # lie -> lying
THIRD = {"has": "have", "does": "do", "goes": "go", "is": "be"}
NOT_VERBS = frozenset({
    "a", "an", "the", "at", "in", "on", "with", "for", "to", "from", "by", "her", "his", "their",
    "its", "my", "our", "your", "some", "lunch", "breakfast", "dinner", "coffee",
})
# Verbs common enough in plans to be known for verbs after "and" ("get up and get ready"),
# where a noun may stand as well ("buy bread and milk").
AFTER_AND = frozenset({
    "get", "go", "have", "make", "take", "do", "read", "write", "eat", "drink", "cook", "clean",
    "work", "study", "relax", "chat", "talk", "walk", "watch", "play", "listen", "prepare",
    "brew", "serve", "wash", "shower", "dress", "rest", "sleep", "head", "grab", "buy", "check",
    "wind", "unwind", "tidy", "plan", "practice", "paint", "greet", "open", "close", "meet",
})
# fmt: on


def progressive(text: str, name: str) -> str:
    """`text` as what comes after "<name> is": the first verb in its -ing form, a leading
    subject ("Isabella", "She") dropped; text that starts with no verb is left as it is."""
    text = " ".join(text.split()).rstrip(".")
    first_name = name.split()[0]
    for subject in (name, first_name, "She", "He", "They"):
        if re.match(rf"{re.escape(subject)}\b", text, re.I) and len(text) > len(subject):
            text = text[len(subject) :].strip()
            break
    if re.match(r"is\s", text):
        return text[3:].strip()  # "Isabella is brewing coffee"
    verb, _, rest = text.partition(" ")
    word = verb.lower()
    if not word.isalpha() or word.endswith("ing") or word in NOT_VERBS or verb in name.split():
        return text
    rest = re.sub(
        r"\band (\w+)\b",
        lambda m: f"and {_ing(_base(m[1]))}" if _base(m[1]) in AFTER_AND else m[0],
        rest,
    )
    return f"{_ing(_base(word))}{' ' if rest else ''}{rest}"


def _base(word: str) -> str:
    """The verb without a third person's -s: brews -> brew, studies -> study."""
    if word in THIRD:
        return THIRD[word]
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if re.search(r"(ss|sh|ch|x|z|o)es$", word):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _ing(verb: str) -> str:
    if verb in IE:
        return verb[:-2] + "ying"
    if verb in AS_IS or not verb.endswith("e") or verb.endswith(("ee", "ye", "oe")):
        return verb + (verb[-1] if verb in DOUBLED else "") + "ing"
    return verb[:-1] + "ing"
