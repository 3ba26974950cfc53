"""An agent's memory as its mind uses it: the stream, plus what waits to be stored.

New memories are only *noted* while an agent thinks; the simulation stores everyone's notes
after the think phase, in agent order, embedding them in one batch. Memory ids (shared by
the whole town) then never depend on which model answer came back first.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from memory import MemoryKind, MemoryRecord, MemoryStream, NewMemory

# Sights so ordinary that rating them would waste a model call.
ROUTINE = ("is sleeping", "is idle", "is walking", "being slept in", "is resting")


def is_routine(text: str) -> bool:
    return any(marker in text for marker in ROUTINE)


class AgentMemory:
    def __init__(
        self, stream: MemoryStream, people: Iterable[str], routine_importance: int
    ) -> None:
        self.stream = stream
        self.owner = stream.agent
        self.people = frozenset(people) - {self.owner}
        self.routine_importance = routine_importance
        self.notes: list[NewMemory] = []  # to be stored after this tick's thinking
        self.unrated: list[str] = []  # observations waiting for an importance rating
        self.rated: dict[str, int] = {}  # importance by text: a sight is rated once
        self.since_reflection = 0  # summed importance of what was stored since
        self.acquaintances: set[str] = set()  # people it has a memory of

    def note(
        self,
        text: str,
        kind: MemoryKind | str,
        importance: int,
        evidence: Iterable[int] = (),
        expires: int | None = None,
    ) -> None:
        self.notes.append(NewMemory(text, kind, importance, tuple(evidence), expires))

    def observe(self, text: str, routine: bool = False) -> None:
        """A new sight: stored at once if routine or rated before, else queued for rating."""
        if routine or is_routine(text):
            self.note(text, MemoryKind.OBSERVATION, self.routine_importance)
        elif text in self.rated:
            self.note(text, MemoryKind.OBSERVATION, self.rated[text])
        elif text not in self.unrated:
            self.unrated.append(text)

    def rate(self, texts: list[str], ratings: list[int]) -> None:
        for text, rating in zip(texts, ratings, strict=True):
            self.rated[text] = rating
            self.note(text, MemoryKind.OBSERVATION, rating)
        self.unrated = [t for t in self.unrated if t not in self.rated]

    def take_notes(self) -> list[NewMemory]:
        notes, self.notes = self.notes, []
        return notes

    def stored(self, records: list[MemoryRecord]) -> None:
        """Bookkeeping once the simulation has stored this agent's notes."""
        for record in records:
            self.since_reflection += record.importance
            self.acquaintances.update(p for p in self.people if p in record.text)

    def recall(
        self,
        query: str,
        now: int,
        k: int,
        kinds: Collection[str] | None = None,
        touch: bool = True,
    ) -> list[MemoryRecord]:
        """Retrieval (recency x importance x relevance); empty while nothing is stored.
        With `kinds`, only memories of those kinds (an ablation hides the others): the whole
        stream is ranked then, and not touched, since the others stay out of sight. Without
        `touch`, what it recalls does not count as accessed."""
        if len(self.stream) == 0:
            return []
        if kinds is None:
            return self.stream.retrieve(query, now, k, touch=touch)
        ranked = self.stream.retrieve(query, now, len(self.stream), touch=False)
        return [r for r in ranked if r.kind in kinds][:k]

    def recall_many(self, queries: list[str], now: int, k: int) -> list[MemoryRecord]:
        """The best memories for several queries, without repeats, best of each first."""
        if len(self.stream) == 0:
            return []
        seen: dict[int, MemoryRecord] = {}
        for found in self.stream.retrieve_many(queries, now, k):
            for scored in found:
                seen.setdefault(scored.record.id, scored.record)
        return list(seen.values())

    def get_state(self) -> dict[str, object]:
        return {
            "unrated": list(self.unrated),
            "rated": dict(self.rated),
            "since_reflection": self.since_reflection,
            "acquaintances": sorted(self.acquaintances),
        }

    def set_state(self, data: dict[str, object]) -> None:
        self.unrated = list(data["unrated"])  # type: ignore[call-overload]
        self.rated = dict(data["rated"])  # type: ignore[call-overload]
        self.since_reflection = int(data["since_reflection"])  # type: ignore[call-overload]
        self.acquaintances = set(data["acquaintances"])  # type: ignore[call-overload]


def bullet_list(records: Iterable[MemoryRecord], empty: str = "(nothing in particular)") -> str:
    return bullets([r.text for r in records], empty)


def bullets(texts: Iterable[str], empty: str = "(nothing in particular)") -> str:
    lines = [f"- {text}" for text in texts]
    return "\n".join(lines) if lines else empty
