"""Counts to newtons: an offset and a scale per cell.

Until a user calibrates (tare and known weights), a sensor offers its own nominal calibration: the
simulator knows its true offset and counts per newton; a recording carries the one it was made with.
"""

from dataclasses import dataclass

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
        offset = np.asarray(self.offset_counts, dtype=float)
        return (np.asarray(counts, dtype=float) - offset) / np.asarray(
            self.counts_per_n, dtype=float
        )

    def counts(self, force_n: np.ndarray) -> np.ndarray:
        """The counts a force (n, channels) would read, rounded to whole counts."""
        scale = np.asarray(self.counts_per_n, dtype=float)
        return np.rint(
            np.asarray(force_n, dtype=float) * scale + np.asarray(self.offset_counts, dtype=float)
        )
