from __future__ import annotations

import datetime as dt

import pytest

from town.clock import Clock, parse_time


def test_ticks_and_times_round_trip() -> None:
    clock = Clock(dt.datetime(2023, 2, 13, 5, 0), seconds_per_tick=10)
    assert clock.ticks_per_hour == 360
    assert clock.at(360) == dt.datetime(2023, 2, 13, 6, 0)
    assert clock.tick_of(dt.datetime(2023, 2, 14, 5, 0)) == 8640
    assert clock.tick_of(dt.datetime(2023, 2, 13, 5, 0, 5)) == 1  # rounds up to the next tick
    for tick in (0, 1, 359, 8640):
        assert clock.tick_of(clock.at(tick)) == tick
    assert clock.ticks(dt.timedelta(minutes=5)) == 30
    assert clock.minute_of_day(360) == 6 * 60


def test_other_tick_lengths() -> None:
    clock = Clock(dt.datetime(2023, 2, 13), seconds_per_tick=60)
    assert clock.ticks_per_hour == 60 and clock.at(90) == dt.datetime(2023, 2, 13, 1, 30)
    with pytest.raises(ValueError, match="seconds_per_tick"):
        Clock(dt.datetime(2023, 2, 13), seconds_per_tick=7)


def test_parse_time() -> None:
    assert parse_time("2023-02-13 18:00") == dt.datetime(2023, 2, 13, 18)
    assert parse_time("2023-02-13T18:00:00") == dt.datetime(2023, 2, 13, 18)
    with pytest.raises(ValueError, match="not a date"):
        parse_time("tomorrow")
