"""Release samples at the pace they were (or would have been) acquired."""

import threading
import time

import numpy as np

WAKE_CHECK_S = 0.05  # a close or stop is seen within this


class Pacer:
    """Maps a source's t_s onto the monotonic clock from the moment `start` is called.

    Stopping and starting again carries on where the source left off, as a paused device would.
    """

    def __init__(self) -> None:
        self._origin_mono = 0.0

    def start(self, source_t_s: float) -> None:
        self._origin_mono = time.monotonic() - source_t_s

    def due_t_s(self) -> float:
        """Source time that is due now."""
        return time.monotonic() - self._origin_mono

    def sleep_until(self, source_t_s: float, wake: threading.Event, deadline_mono: float) -> bool:
        """Sleep until `source_t_s` is due, `wake` is set, or the deadline passes; False only when
        the deadline passed first (the caller's read has timed out).

        A plain sleep, in slices of at most WAKE_CHECK_S, costs about half of what waiting on
        the event does, and this runs for every sample; `wake` is looked at between slices."""
        target = self._origin_mono + source_t_s
        pause_s = min(target, deadline_mono) - time.monotonic()
        while pause_s > 0 and not wake.is_set():
            time.sleep(min(pause_s, WAKE_CHECK_S))
            pause_s = min(target, deadline_mono) - time.monotonic()
        now = time.monotonic()
        return now < deadline_mono or now >= target

    def acquired_at(self, source_t_s: float | np.ndarray) -> float | np.ndarray:
        """Unix seconds at which a source time is (was) due (see wall_clock_at)."""
        return wall_clock_at(self._origin_mono + source_t_s)


def wall_clock_at(mono_s: float | np.ndarray) -> float | np.ndarray:
    """Unix seconds at monotonic time `mono_s`, by the wall clock as it reads now.

    Not an offset taken once at start: a wall clock drifts from the monotonic one (5 ms/s
    measured on a virtual machine) and steps when NTP first syncs a Pi, which has no real-time
    clock; a viewer compares a sample's acquired_at with its own wall clock."""
    return time.time() - (time.monotonic() - mono_s)
