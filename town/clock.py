"""Game time: ticks of a fixed number of game seconds from a start moment."""

from __future__ import annotations

import argparse
import datetime as dt
from dataclasses import dataclass

TIME_FORMAT = "%Y-%m-%d %H:%M"


def parse_time(text: str) -> dt.datetime:
    """'2023-02-13 18:00' (or ISO 8601 with a T) -> datetime; ValueError names the text."""
    try:
        return dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"not a date and time: {text!r} (expected e.g. '2023-02-13 18:00')"
        ) from None


MAX_HOURS = 100_000  # about eleven years of game time: a longer run is a mistake


def parse_hours(text: str) -> float:
    """'6' or '0.5' -> game hours; ValueError for what is not a number in (0, MAX_HOURS]."""
    try:
        hours = float(text)
    except ValueError:
        raise ValueError(f"not a number of hours: {text!r}") from None
    if not 0 < hours <= MAX_HOURS:  # (also refuses nan)
        raise ValueError(f"give more than 0 and at most {MAX_HOURS:,} hours, not {text}")
    return hours


def hours_argument(text: str) -> float:
    """parse_hours for argparse, which shows this message: `argument --hours: ...`."""
    try:
        return parse_hours(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


@dataclass(frozen=True, slots=True)
class Clock:
    start: dt.datetime
    seconds_per_tick: int = 10

    def __post_init__(self) -> None:
        if self.seconds_per_tick <= 0 or 86400 % self.seconds_per_tick:
            raise ValueError(
                f"seconds_per_tick must be a positive divisor of 86400, not {self.seconds_per_tick}"
            )

    def at(self, tick: int) -> dt.datetime:
        return self.start + dt.timedelta(seconds=tick * self.seconds_per_tick)

    def tick_of(self, moment: dt.datetime) -> int:
        """The first tick at or after `moment`."""
        seconds = (moment - self.start).total_seconds()
        return -int(-seconds // self.seconds_per_tick)

    def ticks(self, duration: dt.timedelta) -> int:
        """How many ticks last `duration` (rounded up, at least one for a positive duration)."""
        return -int(-duration.total_seconds() // self.seconds_per_tick)

    @property
    def ticks_per_hour(self) -> int:
        return 3600 // self.seconds_per_tick

    def minute_of_day(self, tick: int) -> int:
        moment = self.at(tick)
        return moment.hour * 60 + moment.minute
