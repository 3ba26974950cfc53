"""The simulation in its own thread, stepped by the time controls, talked to through commands.

The window must keep drawing while agents wait on a slow model, so the Simulation lives in
a background thread and is touched by that thread only. The window asks for things (pause,
a speed, one tick, a whisper, an interview) and the runner does them between ticks; what the
window draws comes back as an immutable `Snapshot`, swapped in under a lock after each tick.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from town.sim import Simulation
from town.viewer.snapshot import Snapshot, snapshot_of

log = logging.getLogger(__name__)
T = TypeVar("T")

# At "as fast as possible" the simulation may run thousands of ticks a second: the window
# cannot show more than one picture a frame, so snapshots are published at most this often.
MAX_PUBLISH_RATE = 60.0
# The longest the thread sleeps without looking at its commands and its stop flag.
IDLE_WAIT = 0.25
# While decisions are on their way (thinking_minutes), the thread waits in slices this long,
# running the simulation's event loop, so that commands are still seen at once.
THINK_SLICE = 0.02

Prepare = Callable[[Simulation], None]


class SimRunner:
    """Owns a Simulation and steps it in a thread of its own.

    `speed` is in game seconds per real second (None: as fast as possible). `until` ends the
    run at that game time: the runner then pauses and the window stays open. `prepare` runs
    in the simulation's thread before the first tick: attach there any observer that holds
    a thread-bound resource (the run file's Recorder and its SQLite connection).
    """

    mode = "live"

    def __init__(
        self,
        sim: Simulation,
        *,
        speed: float | None = 10.0,
        paused: bool = False,
        until: dt.datetime | None = None,
        prepare: Prepare | None = None,
    ) -> None:
        self.sim = sim
        self.prepare = prepare
        self.end_tick = sim.clock.tick_of(until) if until is not None else None
        self.error: BaseException | None = None  # what stopped the thread, if it failed
        self._speed = speed
        self._paused = paused
        self._steps = 0  # single ticks asked for while paused
        self._selected: str | None = None
        self._commands: queue.Queue[tuple[Future[Any], Callable[[Simulation], Any]]] = queue.Queue()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._done = threading.Event()
        self._lock = threading.Lock()  # guards the control fields above and the snapshot
        self._busy = False  # inside a tick or a command: the model may be in use
        self._dirty = True  # the controls changed since the last snapshot
        self._next_due = 0.0
        self._last_publish = 0.0
        self._thread = threading.Thread(target=self._main, name="simulation", daemon=True)
        self._snapshot = snapshot_of(sim, paused=paused, speed=speed)

    # -- the window's side ---------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> bool:
        """End the run: after the current tick, or at once if it waits on the model (its
        requests are cancelled). True if the thread ended, and the run file with it, in time."""
        self._stop.set()
        self._wake.set()
        if not self._thread.ident:  # never started: close the run here
            self._finish()
        deadline = time.monotonic() + timeout
        while self._thread.is_alive() and time.monotonic() < deadline:
            with self._lock:
                busy = self._busy
            if busy:  # also a tick that began just as the stop came
                self._cancel_requests()
            self._thread.join(0.05)
        ended = not self._thread.is_alive()
        if not ended:
            log.warning("the simulation did not stop within %.0f s", timeout)
        return ended

    @property
    def snapshot(self) -> Snapshot:
        with self._lock:
            return self._snapshot

    @property
    def thinking(self) -> frozenset[str]:
        """Who waits on the model right now. Read live, not from the snapshot, since a slow tick
        publishes nothing until it ends; safe across threads because the simulation swaps in a
        new frozenset (immutable) rather than changing one."""
        return self.sim.thinking

    @property
    def in_flight(self) -> int:
        cap = getattr(self.sim, "cap", None)
        return int(getattr(cap, "in_flight", 0))

    @property
    def paused(self) -> bool:
        with self._lock:
            return self._paused

    @property
    def speed(self) -> float | None:
        with self._lock:
            return self._speed

    @property
    def alive(self) -> bool:
        return not self._done.is_set()

    def wait_done(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    def pause(self) -> None:
        self._control(paused=True)

    def resume(self) -> None:
        self._control(paused=False)

    def toggle_pause(self) -> None:
        with self._lock:
            paused = not self._paused
        self._control(paused=paused)

    def step_once(self) -> None:
        """One tick, then paused."""
        with self._lock:
            self._paused = True
            self._steps += 1
        self._wake.set()

    def set_speed(self, speed: float | None) -> None:
        """Game seconds per real second; None: as fast as possible. Also resumes."""
        if speed is not None and speed <= 0:
            raise ValueError(f"a speed must be positive, not {speed}")
        self._control(speed=speed, paused=False)

    def select(self, name: str | None) -> None:
        """Whose details (plan, memories, relationships) the snapshots carry."""
        self._control(selected=name)

    def whisper(self, name: str, text: str) -> Future[None]:
        return self.call(lambda sim: sim.whisper(name, text))

    def interview(self, name: str, question: str) -> Future[str]:
        """The answer comes back in the future; the window never waits on it."""
        return self.call(lambda sim: sim.interview(name, question))

    def world_event(self, place: str, text: str, minutes: int | None = 30) -> Future[None]:
        return self.call(lambda sim: sim.world_event(place, text, minutes))

    def call(self, work: Callable[[Simulation], T]) -> Future[T]:
        """Run `work(sim)` in the simulation's thread between two ticks."""
        future: Future[T] = Future()
        if self._stop.is_set() or self._done.is_set():
            future.cancel()
            return future
        self._commands.put((future, work))
        self._wake.set()
        if self._done.is_set():  # the thread ended while this was put: nobody will run it
            future.cancel()
        return future

    def _control(self, **changes: Any) -> None:
        with self._lock:
            for name, value in changes.items():
                setattr(self, f"_{name}", value)
            self._dirty = True
        self._wake.set()

    # -- the simulation's thread ---------------------------------------------------------------

    def _main(self) -> None:
        sim = self.sim
        try:
            if self.prepare is not None:
                self.prepare(sim)
            sim.running = True
            self.publish()
            while not self._stop.is_set() and sim.running:
                self._wake.clear()
                self._run_commands()
                wait = self._wait()
                if wait <= 0 and sim.behind():
                    # A decision fell far behind: the clock waits for it, the window does not.
                    self.publish()
                    sim.idle(THINK_SLICE)
                    continue
                if wait > 0:
                    if self._dirty:
                        self.publish()
                    if sim.thoughts:  # decisions on their way: keep them going meanwhile
                        sim.idle(min(wait, THINK_SLICE))
                    else:
                        self._wake.wait(wait)
                    continue
                self._step()
        except asyncio.CancelledError:
            log.info("the run was stopped while waiting on the model")
        except BaseException as err:
            self.error = err
            log.exception("the simulation stopped at tick %d", sim.tick)
        finally:
            self._finish()

    def _finish(self) -> None:
        sim = self.sim
        sim.running = False
        self._drain_requests()
        while True:  # commands nobody will run: their futures say so
            try:
                future, _ = self._commands.get_nowait()
            except queue.Empty:
                break
            future.cancel()
        try:
            sim.close()  # observers' on_end: the recorder writes its final checkpoint
        except BaseException as err:
            self.error = self.error or err
            log.exception("closing the run failed")
        finally:
            try:
                last = self._make_snapshot(ended=True)
                with self._lock:
                    self._snapshot = last
            finally:
                self._done.set()

    def _run_commands(self) -> None:
        while True:
            try:
                future, work = self._commands.get_nowait()
            except queue.Empty:
                return
            if not future.set_running_or_notify_cancel():
                continue
            with self._lock:
                self._busy = True
            try:
                future.set_result(work(self.sim))
            except asyncio.CancelledError as err:  # stopped while it waited on the model
                future.set_exception(err)
                raise
            except Exception as err:  # a bad name, a failed model: for the window to show
                future.set_exception(err)
            finally:
                with self._lock:
                    self._busy = False
            self._dirty = True  # a whisper or an event shows at once, even while paused

    def _wait(self) -> float:
        """Seconds until the next tick is due (0: step now)."""
        with self._lock:
            paused, steps, speed = self._paused, self._steps, self._speed
        if self.end_tick is not None and self.sim.tick >= self.end_tick:
            with self._lock:  # the end: the window stays open, the town stops
                self._dirty = self._dirty or not paused or steps > 0
                self._paused, self._steps = True, 0
            return IDLE_WAIT
        if steps:
            return 0.0
        if paused:
            return IDLE_WAIT
        if speed is None:
            return 0.0
        return min(max(self._next_due - time.monotonic(), 0.0), IDLE_WAIT)

    def _step(self) -> None:
        with self._lock:
            self._steps = max(self._steps - 1, 0)
            self._busy = True
            speed = self._speed
        now = time.monotonic()
        interval = self._interval(speed)
        # Keep the cadence, but after a slow tick start afresh rather than rush to catch up.
        self._next_due = self._next_due + interval if self._next_due > now - interval else now
        self._next_due = max(self._next_due, now)
        try:
            self.sim.step()
        finally:
            with self._lock:
                self._busy = False
        if speed is not None or time.monotonic() - self._last_publish >= 1 / MAX_PUBLISH_RATE:
            self.publish()
        else:
            # Flat out, this thread would hold the interpreter lock for seconds at a time:
            # give the window's thread its turn between ticks.
            time.sleep(0)

    def _interval(self, speed: float | None) -> float:
        if speed is None:
            return 1 / MAX_PUBLISH_RATE
        return self.sim.clock.seconds_per_tick / speed

    def _make_snapshot(self, ended: bool = False) -> Snapshot:
        with self._lock:
            selected, paused, speed = self._selected, self._paused, self._speed
        at_end = self.end_tick is not None and self.sim.tick >= self.end_tick
        return snapshot_of(
            self.sim,
            selected,
            interval=self._interval(speed),  # a single tick while paused glides too
            paused=paused,
            speed=speed,
            ended=ended or at_end,
        )

    def publish(self) -> None:
        """Swap in a fresh snapshot. The runner's thread does it after each tick; call it
        yourself only while that thread is not running (before start, after stop)."""
        self._dirty = False
        snapshot = self._make_snapshot()
        with self._lock:
            self._snapshot = snapshot
        self._last_publish = time.monotonic()

    def _cancel_requests(self) -> None:
        """Cancel what the simulation awaits (the model requests of the current tick), from
        the window's thread. The tick then ends in CancelledError and is not recorded; the
        run file keeps every tick before it."""
        # The simulation keeps its event loop to itself; until it offers a way to cancel from
        # another thread, the runner reaches for the loop.
        loop = getattr(self.sim, "_loop", None)
        if loop is None or loop.is_closed():
            return

        def cancel_all() -> None:
            for task in asyncio.all_tasks(loop):
                task.cancel()

        with contextlib.suppress(RuntimeError):  # closed meanwhile: nothing left to cancel
            loop.call_soon_threadsafe(cancel_all)

    def _drain_requests(self) -> None:
        """Let cancelled requests finish unwinding before the simulation closes its loop."""
        loop = getattr(self.sim, "_loop", None)
        if loop is None or loop.is_closed() or loop.is_running():
            return
        pending = asyncio.all_tasks(loop)
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
