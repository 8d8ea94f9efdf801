"""Release samples at the pace they were (or would have been) acquired."""

import time


class Pacer:
    """Maps a source's t_s onto the monotonic clock from the moment `start` is called.

    Stopping and starting again carries on where the source left off, as a paused device would.
    """

    def __init__(self) -> None:
        self._origin_mono = 0.0
        self._origin_wall = 0.0

    def start(self, source_t_s: float) -> None:
        now_mono = time.monotonic()
        self._origin_mono = now_mono - source_t_s
        self._origin_wall = time.time() - source_t_s

    def due_t_s(self) -> float:
        """Source time that is due now."""
        return time.monotonic() - self._origin_mono

    def wait_until(self, source_t_s: float, wake, deadline_mono: float) -> bool:
        """Sleep until `source_t_s` is due (True) or the deadline or a wake-up comes first (False)."""
        target = self._origin_mono + source_t_s
        pause_s = min(target, deadline_mono) - time.monotonic()
        if pause_s > 0 and wake.wait(pause_s):
            return False
        return time.monotonic() >= target

    def acquired_at(self, source_t_s):
        """Unix seconds at which a source time is (was) due."""
        return self._origin_wall + source_t_s
