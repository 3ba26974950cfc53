"""How far a run's requests could overlap: what it asked, and where its agents were.

With `thinking_minutes = 0` a decision is applied at the tick it was asked for, so an agent's
requests follow one another, and follow those of anyone whose doings it could have seen. At a
fixed latency per request and with no cap, a run can take no less than its longest such chain
of requests. Three ways of waiting give three chains:

- tick: a tick waits for all of its thinkers (the simulation as it is): the sum over ticks of
  the longest chain one agent made in the tick;
- arena: an agent waits only for the agents it shares an arena or a conversation with, at this
  tick or the one before (perception is by arena): what clocks of their own per arena could
  allow, an estimate (it leaves out rarer ties, such as two agents heading for the same chair);
- alone: no agent ever waits for another. No way of running the town that keeps its decisions
  at their ticks can beat this one: an agent's own requests cannot overlap.
"""

from __future__ import annotations

Chains = dict[tuple[int, str], int]  # (tick, agent) -> requests of it that follow one another
Frame = dict[str, tuple[str | None, int | None]]  # agent -> (its arena, its conversation's id)


def tick_chain(chains: Chains, start: int, end: int) -> int:
    longest: dict[int, int] = {}
    for (tick, _), n in chains.items():
        if start <= tick < end:
            longest[tick] = max(longest.get(tick, 0), n)
    return sum(longest.values())


def alone_chain(chains: Chains, start: int, end: int) -> int:
    own: dict[str, int] = {}
    for (tick, agent), n in chains.items():
        if start <= tick < end:
            own[agent] = own.get(agent, 0) + n
    return max(own.values(), default=0)


def arena_chain(chains: Chains, frames: list[Frame], start: int, end: int) -> int:
    """`frames[t]`: where everyone was at tick t (as it perceived)."""
    done: dict[str, int] = dict.fromkeys(frames[start], 0)  # requests behind each agent
    for tick in range(start, end):
        before, now = frames[max(tick - 1, start)], frames[tick]
        ties: dict[str, set[tuple[str, object]]] = {}
        latest: dict[tuple[str, object], int] = {}  # the most requests behind anyone there
        for agent in now:
            (arena, talk), (arena_was, talk_was) = now[agent], before[agent]
            places = {("arena", arena), ("arena", arena_was), ("talk", talk), ("talk", talk_was)}
            ties[agent] = {p for p in places if p[1] is not None}
            for place in ties[agent]:
                latest[place] = max(latest.get(place, 0), done[agent])
        done = {
            agent: max([done[agent], *(latest[p] for p in ties[agent])])
            + chains.get((tick, agent), 0)
            for agent in now
        }
    return max(done.values(), default=0)
