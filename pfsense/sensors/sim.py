"""The `sim` sensor: the simulated device, paced in real time like hardware, or as fast as
possible."""

import math
import threading
import time

import numpy as np

from pfsense.errors import SensorTimeout
from pfsense.sensors.base import Sensor
from pfsense.sensors.batch import Batch
from pfsense.sensors.pacing import Pacer
from pfsense.sim.simulator import SimConfig, SimRows, Simulation

MAX_BATCH_S = 1.0  # a reader that fell behind catches up at most a second per read
# The simulator makes half a second at a time and hands its rows out as they come due: one
# numpy pass per chunk rather than per read (in real time, a read is one or two samples).
AHEAD_S = 0.5
FAST_BATCH_SAMPLES = 256
_STALLED = object()  # marker: simulated time passed the timeout without a row


class SimSensor(Sensor):
    """Simulated HX711s under a foot on a ball. `realtime=False` yields as fast as asked, with the
    same t_s, counts and truth as real time would give; the timeout then counts simulated time."""

    def __init__(
        self,
        config: SimConfig,
        realtime: bool = True,
        batch_samples: int = FAST_BATCH_SAMPLES,
        follows_routines: bool = True,
    ) -> None:
        self.simulation = Simulation(config)
        # A guided session on the simulator: the simulated person does what the routine asks
        # (pfsense.live.controller); False keeps to the script whatever runs (some tests).
        self.follows_routines = follows_routines
        super().__init__("sim", config.layout, config.rate_hz, self.simulation.nominal_calibration)
        self.realtime = realtime
        self.batch_samples = batch_samples
        self._pacer = Pacer()
        self._pending: Batch | None = None  # rows held back behind a simulated stall
        self._ahead: Batch | None = None  # rows made ahead of their time (real time)
        self._ahead_from = 0  # the first of them not yet handed out (a cursor: no re-slicing)
        self._ahead_index: list[int] = []  # their grid indices, as Python ints for cheap looks
        self._max_rows = max(1, round(MAX_BATCH_S * config.rate_hz))
        self._last_t_s: float | None = None
        # The script may be changed from another thread (a test's simulated person) while the
        # reading thread makes rows: one at a time.
        self._script_lock = threading.Lock()

    def describe(self) -> dict:
        return {
            **super().describe(),
            "realtime": self.realtime,
            "seed": self.simulation.config.seed,
        }

    def follow_routine(self, script: tuple) -> None:
        """The simulated person does this routine next (within AHEAD_S: rows already made play
        out first, as a person finishes a stroke), then goes back to their script."""
        if self.follows_routines:
            with self._script_lock:
                self.simulation.follow(script)

    def stop_following(self) -> None:
        if self.follows_routines:
            with self._script_lock:
                self.simulation.stop_following()

    def _start(self) -> None:
        # A paused device carries on from the next row it hands out (made ahead or not yet).
        self._pacer.start(self._next_t_s())

    def _read(self, timeout_s: float) -> Batch | None:
        if self.realtime:
            return self._read_realtime(timeout_s)
        return self._read_fast(timeout_s)

    def _read_fast(self, timeout_s: float) -> Batch | None:
        """Next rows on simulated time. A silence in the simulated stream longer than the
        timeout (a stall) raises SensorTimeout once, as in real time; the rows after it follow."""
        rows = self._pending or self._generate_fast(timeout_s)
        self._pending = None
        if rows is None:
            return None
        if rows is _STALLED:
            self._last_t_s = None
            raise self._timeout(timeout_s)
        times = np.concatenate(
            [[rows.t_s[0] if self._last_t_s is None else self._last_t_s], rows.t_s]
        )
        silent = np.flatnonzero(np.diff(times) > timeout_s)
        if len(silent):
            first = int(silent[0])
            self._pending = rows.select(slice(first, None))
            if first == 0:
                self._last_t_s = None
                raise self._timeout(timeout_s)
            rows = rows.select(slice(0, first))
        self._last_t_s = float(rows.t_s[-1])
        return rows

    def _generate_fast(self, timeout_s: float):
        give_up_t_s = self.simulation.next_t_s + timeout_s
        while not self.simulation.ended:
            with self._script_lock:
                rows = self.simulation.next_rows(self.batch_samples)
            if len(rows.t_s):
                return self._batch(rows)
            if self.simulation.next_t_s >= give_up_t_s:
                return _STALLED
        return None

    def _read_realtime(self, timeout_s: float) -> Batch | None:
        deadline = time.monotonic() + timeout_s
        while self._running:
            # Grid samples whose time has come, counting the one at t = 0.
            due_index = math.floor(self._pacer.due_t_s() * self.rate_hz)
            self._generate_ahead(due_index)
            rows = self._take_due(due_index)
            if rows is not None:
                return rows
            if self._ahead is None and self.simulation.ended:
                return None
            if not self._pacer.sleep_until(self._next_t_s(), self._wake, deadline):
                raise self._timeout(timeout_s)
        return None

    def _generate_ahead(self, due_index: int) -> None:
        """Simulate AHEAD_S at a time, in one go, when the next row to hand out has not been made
        yet: one numpy pass per chunk instead of one per read."""
        ahead_rows = max(1, round(AHEAD_S * self.rate_hz))
        simulation, made = self.simulation, 0
        # A reader that fell far behind is caught up a second at a time, as hardware would be.
        while (
            not simulation.ended
            and simulation.next_index <= due_index + 1
            and made < self._max_rows
        ):
            with self._script_lock:
                rows = simulation.next_rows(ahead_rows)
            made += ahead_rows
            if len(rows.t_s):
                batch = self._batch(rows)
                if self._ahead is not None:
                    rest = self._ahead.select(slice(self._ahead_from, None))
                    batch = Batch.concat([rest, batch])
                self._ahead, self._ahead_from = batch, 0
                self._ahead_index = batch.truth.sample_index.tolist()

    def _next_t_s(self) -> float:
        """When the next row to hand out is due (made ahead or not yet)."""
        if self._ahead is None:
            return self.simulation.next_t_s
        return float(self._ahead.t_s[self._ahead_from])

    def _take_due(self, due_index: int) -> Batch | None:
        """The oldest rows made ahead whose time has come (at most a second of them), or None."""
        ahead, start, index = self._ahead, self._ahead_from, self._ahead_index
        if ahead is None or index[start] > due_index:
            return None
        # Usually one row is due: a few comparisons of ints, not a numpy search per read.
        end, limit = start + 1, min(len(index), start + self._max_rows)
        while end < limit and index[end] <= due_index:
            end += 1
        if end < len(ahead):
            self._ahead_from = end
        else:
            self._ahead, self._ahead_from = None, 0
        due_rows = slice(start, end)
        t_s = ahead.t_s[due_rows]
        # Stamped as handed out: rows made before a stop and start are acquired after it.
        return Batch(
            t_s,
            self._pacer.acquired_at(t_s),
            ahead.seq[due_rows],
            ahead.counts[due_rows],
            ahead.flags[due_rows],
            ahead.truth.select(due_rows),
        )

    def _batch(self, rows: SimRows) -> Batch:
        return Batch(
            rows.t_s,
            self._pacer.acquired_at(rows.t_s),
            rows.seq,
            rows.counts,
            rows.flags,
            rows.truth,
        )

    def _timeout(self, timeout_s: float) -> SensorTimeout:
        return SensorTimeout(
            f"simulated sensor gave no sample for {timeout_s:g} s: it is stalled "
            "(fault knob stall_at_s), as an unplugged HX711 would be"
        )
