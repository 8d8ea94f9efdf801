"""Force over loaded time: mean, peak, p95, and time below, in and above the target band."""

from dataclasses import dataclass, field

import numpy as np

from pfsense.dsp import plate
from pfsense.dsp.histogram import Histogram

CONTACT_N = plate.CONTACT_THRESHOLD_N  # below this the foot is not on the ball
FORCE_BIN_N = 0.5
FORCE_MAX_N = 2000.0


@dataclass
class ForceStats:
    """Per-sample force over loaded time, and time below, in and above the band."""

    band_n: tuple[float, float]
    loaded: int = 0
    total_n: float = 0.0
    peak_n: float | None = None
    below: int = 0
    within: int = 0
    above: int = 0
    histogram: Histogram = field(
        default_factory=lambda: Histogram.linear(0.0, FORCE_MAX_N, FORCE_BIN_N)
    )

    def add(self, force_n: np.ndarray) -> None:
        loaded = force_n[force_n >= CONTACT_N]  # NaN compares False: rejected samples drop out
        if not len(loaded):
            return
        self.loaded += len(loaded)
        self.total_n += float(loaded.sum())
        peak = float(loaded.max())
        self.peak_n = peak if self.peak_n is None else max(self.peak_n, peak)
        low, high = self.band_n
        self.below += int(np.count_nonzero(loaded < low))
        self.above += int(np.count_nonzero(loaded > high))
        self.within = self.loaded - self.below - self.above
        self.histogram.add(loaded)

    @property
    def mean_n(self) -> float | None:
        return self.total_n / self.loaded if self.loaded else None

    def fraction(self, count: int) -> float | None:
        """A count of samples as a fraction of loaded time."""
        return count / self.loaded if self.loaded else None
