"""The figures the paper reports for its two-day Valentine's Day run of 25 agents (Park et
al. 2023, sections 6 and 7), to set beside a run's own."""

from __future__ import annotations

# Share of the 25 agents aware of a fact at the start and at the end (by interviews).
AWARENESS = {
    "party": (0.04, 0.52),  # Isabella's Valentine's Day party
    "candidacy": (0.04, 0.32),  # Sam's run for mayor
}
DENSITY = (0.167, 0.74)  # of the relationship network, start and end
ATTENDANCE = {"party": (5, 12)}  # invited agents who came at the right time, of those invited
# Believability (TrueSkill mu from human rankings; a judge model's 1-5 scores are on another
# scale, so only the order of the conditions compares).
BELIEVABILITY = {
    "full": 29.89,
    "no reflection": 26.88,
    "no reflection, no planning": 25.64,
    "human crowdworkers": 22.95,
    "no observation, no reflection, no planning": 21.21,
}
