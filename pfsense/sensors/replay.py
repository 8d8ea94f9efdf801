"""The `replay:PATH` sensor: a recording played back, in real time or as fast as asked."""

import os
import time

import numpy as np

from pfsense.errors import SensorTimeout
from pfsense.sensors.base import Sensor
from pfsense.sensors.batch import Batch
from pfsense.sensors.pacing import Pacer
from pfsense.sensors.recording import read_recording

FAST_BATCH_SAMPLES = 256


class ReplaySensor(Sensor):
    """Plays back every row of a recording as recorded (t_s, acquired_at, seq, counts, flags).

    In real time, rows are released when their t_s comes due, relative to the first row. A gap in
    the recording longer than the read timeout raises SensorTimeout, as the original stall did.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        realtime: bool = True,
        plate_mm: tuple[float, float] | None = None,
        batch_samples: int = FAST_BATCH_SAMPLES,
    ) -> None:
        self.recording = read_recording(path, plate_mm)
        super().__init__(
            f"replay:{path}",
            self.recording.layout,
            self.recording.rate_hz,
            self.recording.calibration,
        )
        self.realtime = realtime
        self.batch_samples = batch_samples
        self._next = 0
        self._pacer = Pacer()
        self._t0_s = float(self.recording.batch.t_s[0])

    def describe(self) -> dict:
        total = len(self.recording.batch)
        return {
            **super().describe(),
            "realtime": self.realtime,
            "samples": total,
            "played": self._next,
        }

    def _start(self) -> None:
        if self._next < len(self.recording.batch):
            self._pacer.start(float(self.recording.batch.t_s[self._next]) - self._t0_s)

    def _read(self, timeout_s: float) -> Batch | None:
        batch = self.recording.batch
        if self._next >= len(batch):
            return None
        if not self.realtime:
            return self._take(min(len(batch), self._next + self.batch_samples))
        deadline = time.monotonic() + timeout_s
        while self._running:
            end = self._due_end(self._t0_s + self._pacer.due_t_s())
            if end > self._next:
                return self._take(end)
            next_t_s = float(batch.t_s[self._next]) - self._t0_s
            if not self._pacer.sleep_until(next_t_s, self._wake, deadline):
                raise SensorTimeout(
                    f"recording {self.name[7:]} has no sample for {timeout_s:g} s here: "
                    "the sensor was stalled when it was recorded"
                )
        return None

    def _due_end(self, due_t_s: float) -> int:
        """The end of the rows due by `due_t_s`. Live, none or one is: two comparisons, not a
        search of the whole recording on every read."""
        t_s, start = self.recording.batch.t_s, self._next
        if t_s[start] > due_t_s:
            return start
        if start + 1 == len(t_s) or t_s[start + 1] > due_t_s:
            return start + 1
        return int(np.searchsorted(t_s, due_t_s, side="right"))

    def _take(self, end: int) -> Batch:
        rows = slice(self._next, end)
        self._next = end
        return self.recording.batch.select(rows)
