"""The speed benchmark's bounds on how far a run's requests could overlap."""

from benchmarks.overlap import alone_chain, arena_chain, tick_chain

# Ann and Bob share the kitchen, then Bob goes to the garden; Cy is in the shop throughout.
FRAMES = [
    {"Ann": ("kitchen", None), "Bob": ("kitchen", None), "Cy": ("shop", None)},
    {"Ann": ("kitchen", None), "Bob": ("kitchen", None), "Cy": ("shop", None)},
    {"Ann": ("kitchen", None), "Bob": ("garden", None), "Cy": ("shop", None)},
    {"Ann": ("kitchen", None), "Bob": ("garden", None), "Cy": ("shop", None)},
]
CHAINS = {(0, "Ann"): 2, (0, "Cy"): 3, (1, "Bob"): 1, (2, "Cy"): 1, (3, "Bob"): 2}


def test_a_tick_waits_for_its_longest_chain() -> None:
    assert tick_chain(CHAINS, 0, 4) == 3 + 1 + 1 + 2
    assert tick_chain(CHAINS, 2, 4) == 1 + 2


def test_alone_is_the_busiest_agents_own_requests() -> None:
    assert alone_chain(CHAINS, 0, 4) == 3 + 1  # Cy's; Bob's are 1 + 2
    assert alone_chain(CHAINS, 3, 4) == 2
    assert alone_chain(CHAINS, 0, 0) == 0


def test_arena_waits_only_for_those_who_shared_it() -> None:
    # Bob waits for Ann's 2 (the kitchen at tick 1), then adds his own: 2 + 1 + 2. Cy, alone
    # in the shop, never waits for them, nor they for Cy's 3 + 1.
    assert arena_chain(CHAINS, FRAMES, 0, 4) == 5
    # A conversation ties its people wherever they stand.
    talking = [{name: (name, 7) for name in frame} for frame in FRAMES]
    assert arena_chain(CHAINS, talking, 0, 4) == tick_chain(CHAINS, 0, 4)
    # Nobody shares anything: each waits for itself only.
    apart = [{name: (name, None) for name in frame} for frame in FRAMES]
    assert arena_chain(CHAINS, apart, 0, 4) == alone_chain(CHAINS, 0, 4)
