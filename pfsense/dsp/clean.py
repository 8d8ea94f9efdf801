"""Cleaning raw counts before anything else: reject what the HX711 or the link got wrong.

A sample (per channel) is rejected when it is flagged saturated, desync or timeout, when it is one
of the HX711's saturation codes, or when it stands out from its neighbours: a centred median of five
(two samples of look-ahead, 25 ms at 80 SPS) keeps ramps and steps exactly, and catches spikes of
one or two samples and the all-ones / 2**n - 1 reads of a preempted bit-bang. Lost samples
(sequence gaps) are counted, never filled in. Rejected samples become NaN; nothing is invented.
"""

from dataclasses import dataclass, field

import numpy as np

from pfsense.sensors.adc import COUNTS_MAX, COUNTS_MIN
from pfsense.sensors.batch import Batch, seq_gaps
from pfsense.sensors.flags import SampleFlag

# A foot cannot change the load by this much for a single 12.5 ms sample and come straight back;
# spikes from a shifted bit are 30 N and more (bit 17 at ~4400 counts/N).
SPIKE_THRESHOLD_N = 2.0
ALL_ONES_MIN_BITS = 16  # 2**n - 1 below this is an ordinary small reading

REASONS = ("saturated", "desync", "timeout", "all_ones", "spike")


@dataclass
class CleanStats:
    """How many samples (channel readings) were rejected, by reason, and how many were lost."""

    samples: int = 0
    lost_samples: int = 0
    rejected: dict = field(default_factory=lambda: dict.fromkeys(REASONS, 0))

    @property
    def rejected_samples(self) -> int:
        return sum(self.rejected.values())

    def to_dict(self) -> dict:
        return {
            "samples": self.samples,
            "lost_samples": self.lost_samples,
            "rejected_samples": self.rejected_samples,
            "rejected": dict(self.rejected),
        }


def is_all_ones(counts: np.ndarray) -> np.ndarray:
    """True where the raw 24-bit word is 2**n - 1 for n >= ALL_ONES_MIN_BITS.

    >>> is_all_ones(np.array([-1, 0xFFFF, 0x3FFFF, 1000, 0xFFFE])).tolist()
    [True, True, True, False, False]
    """
    raw = np.asarray(counts, dtype=np.int64) & 0xFFFFFF
    return ((raw & (raw + 1)) == 0) & (raw >= (1 << ALL_ONES_MIN_BITS) - 1)


def flag_reasons(counts: np.ndarray, flags: np.ndarray) -> np.ndarray:
    """Per reading: 0 if usable, else 1 + index into REASONS, for what the acquisition side saw."""
    reason = np.zeros(counts.shape, np.uint8)
    reason[flags & SampleFlag.TIMEOUT != 0] = 3
    reason[flags & SampleFlag.DESYNC != 0] = 2
    reason[
        (flags & SampleFlag.SATURATED != 0) | (counts == COUNTS_MAX) | (counts == COUNTS_MIN)
    ] = 1
    return reason


LOOK = 2  # neighbours on each side: a median of five


def window_median(window: np.ndarray) -> np.ndarray:
    """Median along axis 0, leaving NaN out (NaN where every value is NaN), without warnings.

    >>> nan = np.nan
    >>> window_median(np.array([[1.0, nan], [9.0, nan], [2.0, 4.0], [nan, nan]])).tolist()
    [2.0, 4.0]
    """
    ordered = np.sort(window, axis=0)  # NaN sorts last
    valid = np.count_nonzero(~np.isnan(window), axis=0)
    low = np.take_along_axis(ordered, np.maximum(valid - 1, 0)[None] // 2, axis=0)[0]
    high = np.take_along_axis(ordered, (valid // 2)[None], axis=0)[0]
    return np.where(valid > 0, (low + high) / 2.0, np.nan)


def spike_mask(usable: np.ndarray, threshold: np.ndarray) -> np.ndarray:
    """For rows LOOK..n-LOOK of `usable` (n, ch; NaN = already rejected): True where a reading is
    further than `threshold` from the median of the five readings centred on it.

    Ramps and steps pass; spikes of one or two samples do not:

    >>> rows = np.array([[0, 0, 0], [5, 0, 0], [10, 0, 0], [15, 90, 90], [20, 90, 90],
    ...                  [25, 90, 0], [30, 90, 0]], dtype=float)
    >>> spike_mask(rows, np.array([3.0, 3.0, 3.0])).tolist()
    [[False, False, False], [False, False, True], [False, False, True]]
    """
    n = len(usable) - 2 * LOOK
    here = usable[LOOK : LOOK + n]
    before, after = usable[LOOK - 1 : LOOK - 1 + n], usable[LOOK + 1 : LOOK + 1 + n]
    # A reading within the threshold of both next neighbours is within it of the median too
    # (three of the five lie in that interval, so the middle one does): only the rest need sorting.
    suspect = ~((np.abs(here - before) <= threshold) & (np.abs(here - after) <= threshold))
    mask = np.zeros(here.shape, bool)
    rows = np.flatnonzero(suspect.any(axis=1))
    if len(rows):
        window = np.stack([usable[k + rows] for k in range(2 * LOOK + 1)])
        mask[rows] = np.abs(here[rows] - window_median(window)) > threshold
    return mask


class Cleaner:
    """Online cleaning with LOOK samples of look-ahead: `clean(batch)` returns the rows that can
    now be decided (the held rows of the last call and all but the last LOOK of this one);
    `finish()` decides the rows still held, at the end of a recording.

    Fed one whole recording or the same rows in batches of any size, it gives the same result.
    """

    def __init__(self, channels: int, counts_per_n: np.ndarray) -> None:
        self.threshold_counts = SPIKE_THRESHOLD_N * np.abs(np.asarray(counts_per_n, dtype=float))
        self.stats = CleanStats()
        self._channels = channels
        self._held = Batch.empty(channels)  # rows waiting for their right-hand neighbours
        self._held_reason = np.zeros((0, channels), np.uint8)
        self._before = np.full((LOOK, channels), np.nan)  # usable readings left of the held rows
        self._last_seq: int | None = None
        self._first = True  # at the start there is no left context yet

    def clean(self, batch: Batch) -> tuple[Batch, np.ndarray]:
        """Rows now decided, as (rows, counts): counts float, NaN where rejected."""
        if len(batch):
            self.stats.samples += len(batch) * self._channels
            self.stats.lost_samples += int(seq_gaps(batch.seq, self._last_seq).sum())
            self._last_seq = int(batch.seq[-1])
        rows = Batch.concat([self._held, batch])
        reason = np.concatenate([self._held_reason, flag_reasons(batch.counts, batch.flags)])
        decided = max(0, len(rows) - LOOK)
        self._held, self._held_reason = rows.select(slice(decided, None)), reason[decided:]
        return self._decide(rows, reason, decided)

    def finish(self) -> tuple[Batch, np.ndarray]:
        """Decide the rows still held, with no right-hand neighbours beyond them."""
        rows, reason = self._held, self._held_reason
        self._held = Batch.empty(self._channels)
        self._held_reason = reason[:0]
        return self._decide(rows, reason, len(rows), open_end=True)

    def _decide(self, rows: Batch, reason: np.ndarray, decided: int, open_end: bool = False):
        if decided == 0:
            return rows.select(slice(0, 0)), np.zeros((0, self._channels))
        usable = np.where(reason == 0, rows.counts.astype(float), np.nan)
        if self._first:
            self._before, self._first = _reflected(usable), False
        after = _reflected(usable[::-1]) if open_end else np.empty((0, self._channels))
        context = np.concatenate([self._before, usable, after])
        spikes = spike_mask(context[: decided + 2 * LOOK], self.threshold_counts)
        reason = reason[:decided].copy()
        reason[spikes] = np.where(is_all_ones(rows.counts[:decided][spikes]), 4, 5)
        self._count(reason)
        self._before = context[decided : decided + LOOK]  # left neighbours of the next rows
        return rows.select(slice(0, decided)), np.where(reason == 0, usable[:decided], np.nan)

    def _count(self, reason: np.ndarray) -> None:
        if not reason.any():
            return
        for code, count in zip(*np.unique(reason[reason > 0], return_counts=True), strict=True):
            self.stats.rejected[REASONS[code - 1]] += int(count)


def _reflected(usable: np.ndarray) -> np.ndarray:
    """LOOK rows to put before the first row of `usable`: its odd reflection (2 * x0 - x_k), which
    continues a ramp straight, so the first rows of a recording are judged fairly."""
    pad = np.full((LOOK + 1, usable.shape[1]), np.nan)
    pad[: min(len(usable), LOOK + 1)] = usable[: LOOK + 1]
    return (2.0 * pad[0] - pad[LOOK:0:-1]).reshape(LOOK, -1)
