"""Game time: ticks of a fixed number of game seconds from a start moment."""

from __future__ import annotations

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
