"""Cycles of a back-and-forth motion (or of a force that rises and falls), from block summaries.

A Schmitt trigger on the signal minus its slow centre (an exponential average over CENTRE_TAU_S,
which starts as the plain mean since contact so that it settles within a cycle or two) counts a
full cycle at each upward crossing of +hysteresis that follows a dip below -hysteresis. Periods
and peak-to-peak excursions go into fixed histograms, so a session of any length takes the same
memory, and the same blocks give the same numbers online and offline.
"""

import math
from collections import deque

import numpy as np

from pfsense.dsp.histogram import Histogram

CENTRE_TAU_S = 3.0
PERIOD_S_RANGE = (0.25, 60.0)  # 240 down to 1 cycle a minute
RECENT_CYCLES = 6  # "now" is the last few cycles
PAUSE_FACTOR = 1.3
NAN = math.nan


class Oscillation:
    """One signal's cycles. The dead band around the centre is the larger of `band_min` and
    `band_fraction` of the centre's size."""

    def __init__(
        self, block_s: float, band_min: float, band_fraction: float = 0.0, p2p_max: float = 400.0
    ) -> None:
        self.block_s = block_s
        self.band_min = band_min
        self.band_fraction = band_fraction
        self.periods_s = Histogram.log(*PERIOD_S_RANGE, 600)
        self.p2p = Histogram.linear(0.0, p2p_max, p2p_max / 400)
        self.recent_periods_s: deque[float] = deque(maxlen=RECENT_CYCLES)
        self.last_swing_s: float | None = None  # twice the time from a dip to the rise after it
        self.last_swing_p2p = 0.0  # lowest to highest value over that cycle
        self.energy = 0.0  # sum of squared deviations from the centre, for the dominant axis
        self.blocks = 0
        self._alpha = 1.0 - np.exp(-block_s / CENTRE_TAU_S)
        self.reset()

    def reset(self) -> None:
        """Contact lost: the next contact starts afresh (a pause is not a long cycle)."""
        self._centre: float | None = None
        self._since_contact = 0
        self._previous: float | None = None  # the last block's deviation from the centre
        self._dipped = False
        self._dip_s = 0.0
        self._last_up_s: float | None = None
        self._low = math.inf
        self._high = -math.inf

    def feed(self, t_s: float, value: float, low: float, high: float) -> float:
        """One block (see `feed_many`)."""
        return self.feed_many([t_s], [value], [low], [high], [True])[0]

    fast_s = math.inf  # swings shorter than this are reported by feed_many

    def feed_many(self, times, values, lows, highs, loaded) -> list[float]:
        """Blocks in order: time, mean value, lowest and highest value inside, and whether the
        device was loaded (an unloaded block resets). Returns, per block, the peak-to-peak size
        of a dip-and-rise swing faster than `fast_s` that ended there (0 for the first swing after
        contact, whose size is unknown), or NaN where none did.

        This runs for every block of a session, so it keeps its state in local variables and
        sticks to plain float arithmetic.
        """
        fast = []
        band_min, band_fraction, alpha, block_s = (
            self.band_min,
            self.band_fraction,
            self._alpha,
            self.block_s,
        )
        fast_s = self.fast_s
        for t_s, value, low, high, on in zip(times, values, lows, highs, loaded, strict=True):
            if not on:
                self.reset()
                fast.append(NAN)
                continue
            if value != value or value in (math.inf, -math.inf):  # not finite
                fast.append(NAN)
                continue
            self._since_contact += 1
            centre = value if self._centre is None else self._centre
            # The mean since contact until that has seen CENTRE_TAU_S, then an exponential average.
            weight = 1.0 / self._since_contact
            centre += (weight if weight > alpha else alpha) * (value - centre)
            self._centre = centre
            deviation = value - centre
            self.energy += deviation * deviation
            self.blocks += 1
            if low < self._low:
                self._low = low
            if high > self._high:
                self._high = high
            band = band_fraction * (centre if centre > 0 else -centre)
            if band < band_min:
                band = band_min
            ended = NAN
            if deviation < -band:
                if not self._dipped:
                    self._dipped, self._dip_s = (
                        True,
                        self._crossing_s(t_s, deviation, -band, block_s),
                    )
            elif deviation > band and self._dipped:
                self._dipped = False
                up_s = self._crossing_s(t_s, deviation, band, block_s)
                self.last_swing_s = 2.0 * (up_s - self._dip_s)
                self._cycle(up_s)
                if self.last_swing_s < fast_s:
                    ended = self.last_swing_p2p
            self._previous = deviation
            fast.append(ended)
        return fast

    def _crossing_s(self, t_s: float, deviation: float, level: float, block_s: float) -> float:
        """When the deviation crossed `level`, interpolated between this block and the last, so
        that periods are not rounded to whole blocks."""
        before = self._previous
        if before is None or before == deviation:
            return t_s
        fraction = (level - before) / (deviation - before)
        return t_s - (1.0 - min(max(fraction, 0.0), 1.0)) * block_s

    def _cycle(self, t_s: float) -> None:
        # The first rise after contact spans the press itself: not a stroke's swing.
        self.last_swing_p2p = self._high - self._low if self._last_up_s is not None else 0.0
        if self._last_up_s is not None:
            period_s = t_s - self._last_up_s
            self.periods_s.add_one(period_s)
            self.recent_periods_s.append(period_s)
            self.p2p.add_one(self._high - self._low)
        self._last_up_s = t_s
        self._low, self._high = math.inf, -math.inf

    @property
    def cycles(self) -> int:
        return self.periods_s.total

    def cadence_per_min(self, recent: bool = False) -> float | None:
        """Full cycles a minute of moving time: periods more than PAUSE_FACTOR x the median (a
        pause, a missed cycle) or under 1/PAUSE_FACTOR of it (a stray wobble) are left out."""
        if recent:
            return 60.0 / float(np.median(self.recent_periods_s)) if self.recent_periods_s else None
        median_s = self.periods_s.quantile(0.5)
        if not median_s:
            return None
        centres = np.sqrt(self.periods_s.edges[:-1] * self.periods_s.edges[1:])
        usable = (centres <= PAUSE_FACTOR * median_s) & (centres >= median_s / PAUSE_FACTOR)
        counts = self.periods_s.counts * usable
        return 60.0 * counts.sum() / (counts * centres).sum()

    def regularity(self) -> float | None:
        """1 for a metronome, lower as periods vary: 1 - 2 x the robust spread of the periods
        (interquartile range / 1.349, relative to the median), floored at 0."""
        if self.cycles < 3:
            return None
        q1, median, q3 = (self.periods_s.quantile(q) for q in (0.25, 0.5, 0.75))
        spread = (q3 - q1) / 1.349 / median
        return float(np.clip(1.0 - 2.0 * spread, 0.0, 1.0))

    def stroke(self) -> float | None:
        """Median peak-to-peak excursion of a cycle."""
        return self.p2p.quantile(0.5)

    def rms(self) -> float:
        return float(np.sqrt(self.energy / self.blocks)) if self.blocks else 0.0
