"""Counts to newtons: an offset and a scale per cell.

Until a user calibrates (tare and known weights), a sensor offers its own nominal calibration: the
simulator knows its true offset and counts per newton; a recording carries the one it was made with.
"""

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from pfsense.errors import ConfigError


@dataclass(frozen=True)
class Calibration:
    """Per-channel zero (counts) and scale (counts per newton)."""

    offset_counts: tuple[float, ...]
    counts_per_n: tuple[float, ...]
    source: str = "nominal"

    def __post_init__(self) -> None:
        if len(self.offset_counts) != len(self.counts_per_n):
            raise ConfigError("calibration needs one offset and one counts-per-newton per channel")
        if any(not np.isfinite(scale) or scale == 0 for scale in self.counts_per_n):
            raise ConfigError(
                "calibration counts per newton must be finite and non-zero, "
                f"got {self.counts_per_n}"
            )

    def force_n(self, counts: np.ndarray) -> np.ndarray:
        """Newtons per channel for counts of shape (n, channels)."""
        return (np.asarray(counts, dtype=float) - self._offset) / self._scale

    # As arrays once, not from the tuples on every live sample.
    @cached_property
    def _offset(self) -> np.ndarray:
        return np.asarray(self.offset_counts, dtype=float)

    @cached_property
    def _scale(self) -> np.ndarray:
        return np.asarray(self.counts_per_n, dtype=float)

    def counts(self, force_n: np.ndarray) -> np.ndarray:
        """The counts a force (n, channels) would read, rounded to whole counts."""
        scale = np.asarray(self.counts_per_n, dtype=float)
        return np.rint(
            np.asarray(force_n, dtype=float) * scale + np.asarray(self.offset_counts, dtype=float)
        )


# A 50 kg, 1 mV/V load cell on an HX711 at gain 128 and 3.3 V: 1e-3 x 2 x 128 x 2^23 / 490.3 N.
TYPICAL_COUNTS_PER_N = 4379.6


def uncalibrated(channels: int) -> Calibration:
    """What real hardware reads with until it is tared and calibrated: zero offsets and a
    typical cell's scale, so the page shows roughly sensible newtons from the start."""
    return Calibration(
        (0.0,) * channels, (TYPICAL_COUNTS_PER_N,) * channels, "nominal (not calibrated)"
    )
