"""Automatic re-zero against slow drift and creep, on block summaries: while nobody presses,
each cell's zero follows its counts."""

from dataclasses import replace

import numpy as np

from pfsense.calibration.model import Calibration

# Re-zero when the device has been unloaded for a while: the total reads near zero (within
# UNLOADED_N, which leaves room for the drift gathered during a long loaded stretch) and is as
# still as only an unloaded cell is (a foot resting on it, however lightly, trembles by more than
# STILL_SD_N).
UNLOADED_N = 10.0
STILL_SD_N = 0.25
REZERO_AFTER_S = 2.0


class AutoZero:
    """Follows slow zero drift and creep: after REZERO_AFTER_S of unloaded blocks, each cell's
    zero becomes the mean of its counts over that stretch. Works on block summaries."""

    def __init__(self, calibration: Calibration, block_s: float) -> None:
        self.calibration = calibration
        self.rezeros = 0
        self._blocks_needed = max(1, round(REZERO_AFTER_S / block_s))
        self._run_counts: list[np.ndarray] = []
        self._run_force_n: list[float] = []

    def reset(self, calibration: Calibration) -> None:
        """Start again from a new zero (after a tare): the run so far was against the old one."""
        self.calibration = calibration
        self._run_counts.clear()
        self._run_force_n.clear()

    def observe(self, blocks) -> int | None:
        """Feed block summaries; return the index of the block after which the zero moved (later
        samples use the new zero and should be fed again), or None if it did not move."""
        unloaded = (np.abs(blocks.force_n) <= UNLOADED_N) & (blocks.force_max_n <= UNLOADED_N)
        unloaded &= ~np.isnan(blocks.counts).any(axis=1)  # NaN compares False above too
        for index, near_zero in enumerate(unloaded.tolist()):
            if not near_zero:
                self._run_counts.clear()
                self._run_force_n.clear()
            elif self._still(float(blocks.force_n[index]), blocks.counts[index].tolist()):
                return index
        return None

    def _still(self, force_n: float, counts: list[float]) -> bool:
        """Add an unloaded block; re-zero once the run is long and still enough."""
        self._run_counts.append(counts)
        self._run_force_n.append(force_n)
        if len(self._run_counts) < self._blocks_needed:
            return False
        if np.std(self._run_force_n) <= STILL_SD_N:
            self._rezero()
            return True
        self._run_counts.pop(0)  # not still: slide the window on
        self._run_force_n.pop(0)
        return False

    def _rezero(self) -> None:
        offsets = tuple(float(v) for v in np.mean(self._run_counts, axis=0))
        self.calibration = replace(self.calibration, offset_counts=offsets)
        self._run_counts.clear()
        self._run_force_n.clear()
        self.rezeros += 1
