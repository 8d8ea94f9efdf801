"""Cleaning raw counts before anything else: reject what the HX711 or the link got wrong.

A sample (per channel) is rejected when it is flagged saturated, desync or timeout, when it is one
of the HX711's saturation codes, or when it stands out from its neighbours: a centred median of five
keeps ramps and steps exactly, and catches spikes of one or two samples and the all-ones / 2**n - 1
reads of a preempted bit-bang. Only a reading off the line of the ones before it waits for the two
after it (25 ms at 80 SPS); the rest go out at once (see Cleaner). Lost samples
(sequence gaps) are counted, never filled in. Rejected samples become NaN; nothing is invented.
"""

from dataclasses import dataclass, field

import numpy as np

from pfsense.sensors.adc import COUNTS_MAX, COUNTS_MIN
from pfsense.sensors.batch import Batch, lost_before
from pfsense.sensors.flags import SampleFlag

# A foot cannot change the load by this much for a single 12.5 ms sample and come straight back;
# spikes from a shifted bit are 30 N and more (bit 17 at ~4400 counts/N). The floor of the limit:
SPIKE_THRESHOLD_N = 2.0
# Above the floor the limit follows the signal: SCALE_FACTOR times the upper quartile, over the
# last SCALE_ROWS readings, of how far each reading was off the line of the two before it. Tremor
# (8-12 Hz, 1-3 N), sway and brisk strokes at 10 Hz move a reading by several newtons from that
# line; a shifted bit moves it by 30 N or more. The quartile (not the median) lets the limit rise
# within a quarter of the window when work starts after a rest; the ceiling keeps it below a
# shifted bit's 30 N however many glitches come in a row. The limit is set afresh every
# SCALE_BLOCK rows, counted from the start, so the same rows give the same limits however they
# are batched.
SCALE_FACTOR = 3.0
SCALE_QUANTILE = 0.75
SCALE_ROWS = 16
SCALE_BLOCK = 4
SPIKE_LIMIT_MAX_N = 15.0
# ... and never above half the smallest shifted value the simulator models (bit 17 flipped), in
# counts: on a cell more sensitive than ~4400 counts/N (a 10 kg cell: 17,500) 15 N is more
# than bit 17. There a shifted bit is only 7.5 N, and the limit costs a little real data.
SHIFTED_BIT_MIN_COUNTS = 1 << 17
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


_SATURATED, _DESYNC, _TIMEOUT = (
    np.uint8(SampleFlag.SATURATED), np.uint8(SampleFlag.DESYNC), np.uint8(SampleFlag.TIMEOUT)
)  # fmt: skip


def flag_reasons(counts: np.ndarray, flags: np.ndarray) -> np.ndarray:
    """Per reading: 0 if usable, else 1 + index into REASONS, for what the acquisition side saw."""
    saturated = (counts == COUNTS_MAX) | (counts == COUNTS_MIN)
    reason = np.zeros(counts.shape, np.uint8)
    if not (flags.any() or saturated.any()):
        return reason  # the usual batch
    reason[flags & _TIMEOUT != 0] = 3
    reason[flags & _DESYNC != 0] = 2
    reason[(flags & _SATURATED != 0) | saturated] = 1
    return reason


LOOK = 2  # neighbours on each side: a median of five
START_ROWS = 2 * LOOK + 1  # a stream's first rows wait for five, the median the first is judged by


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


def window_quantile(window: np.ndarray, q: float) -> np.ndarray:
    """The q-quantile along axis 0 (the lower of two values where it falls between), leaving NaN
    out (NaN where every value is NaN), without warnings.

    >>> nan = np.nan
    >>> window_quantile(np.array([[1.0, nan], [9.0, nan], [2.0, 4.0], [3.0, nan]]), 0.75).tolist()
    [3.0, 4.0]
    """
    ordered = np.sort(window, axis=0)  # NaN sorts last
    if not np.isnan(ordered[-1]).any():  # every value known (live, usually): one index for all
        return ordered[int(q * (len(window) - 1))]
    valid = np.count_nonzero(~np.isnan(window), axis=0)
    index = np.floor(q * np.maximum(valid - 1, 0)).astype(int)[None]
    value = np.take_along_axis(ordered, index, axis=0)[0]
    return np.where(valid > 0, value, np.nan)


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
    threshold = np.broadcast_to(threshold, here.shape)  # one per channel, or one per reading
    suspect = ~((np.abs(here - before) <= threshold) & (np.abs(here - after) <= threshold))
    mask = np.zeros(here.shape, bool)
    rows = np.flatnonzero(suspect.any(axis=1))
    if len(rows):
        window = np.stack([usable[k + rows] for k in range(2 * LOOK + 1)])
        mask[rows] = np.abs(here[rows] - window_median(window)) > threshold[rows]
    return mask


class Cleaner:
    """Online cleaning that holds back only what it must: `clean(batch)` returns the rows decided
    so far, in order; `finish()` decides the rows still held, at the end of a recording.

    A spike of one or two samples jumps off the local trend, so a reading that continues the
    straight line through the two before it (within the threshold), after a reading that did
    too, is not one: it is decided at once, and an ordinary sample goes out with no look-ahead.
    Any other reading waits for its LOOK right-hand neighbours and the median of five decides, as
    it always has; the rows behind it wait with it, so order is kept. The two differ only where
    the median alone would throw away a reading on the line (the end of a fast ramp that then
    drops back, say); the tests hold the cleaner to never keeping a glitch the median rejects.
    The first rows of a stream wait until LOOK + 1 have come, to reflect a left context from them.

    Fed one whole recording or the same rows in batches of any size, it gives the same result.
    """

    def __init__(self, channels: int, counts_per_n: np.ndarray) -> None:
        counts_per_n = np.abs(np.asarray(counts_per_n, dtype=float))
        self.ceiling_counts = np.minimum(
            SPIKE_LIMIT_MAX_N * counts_per_n, SHIFTED_BIT_MIN_COUNTS / 2
        )
        self.threshold_counts = np.minimum(SPIKE_THRESHOLD_N * counts_per_n, self.ceiling_counts)
        self.stats = CleanStats()
        self._channels = channels
        self._held = Batch.empty(channels)  # rows not decided yet
        self._held_reason = np.zeros((0, channels), np.uint8)
        self._before: np.ndarray | None = None  # usable readings of the LOOK rows before _held
        self._before_off_line = np.zeros(channels, bool)  # the row before _held left the line
        self._decided_rows = 0  # rows decided so far: the index of the first row held
        self._off_by = np.zeros((0, channels))  # how far the last SCALE_ROWS were off the line
        self._limit_block = -1  # the block whose limits are in _limit
        self._limit = self.threshold_counts
        self._last_seq: int | None = None
        self._no_counts = np.zeros((0, channels))

    def clean(self, batch: Batch) -> tuple[Batch, np.ndarray]:
        """Rows now decided, as (rows, counts): counts float, NaN where rejected."""
        reason = flag_reasons(batch.counts, batch.flags)
        if len(batch):
            self.stats.samples += len(batch) * self._channels
            self.stats.lost_samples += lost_before(batch.seq, self._last_seq)
            self._last_seq = int(batch.seq[-1])
        if len(self._held):  # live, the held rows are usually none
            batch = Batch.concat([self._held, batch])
            reason = np.concatenate([self._held_reason, reason])
        return self._decide(batch, reason, open_end=False)

    def finish(self) -> tuple[Batch, np.ndarray]:
        """Decide the rows still held, with no right-hand neighbours beyond them."""
        rows, reason = self._held, self._held_reason
        self._held, self._held_reason = rows.select(slice(0, 0)), reason[:0]
        return self._decide(rows, reason, open_end=True)

    def _decide(self, rows: Batch, flagged: np.ndarray, open_end: bool):
        """Decide as many rows as can be, from the front; hold the rest. Live, this runs for
        every sample: it keeps to few numpy calls."""
        n = len(rows)
        if n == 0 or (self._before is None and n < START_ROWS and not open_end):
            return self._hold(rows, flagged, 0)  # the first rows wait for context to reflect
        any_flagged = bool(flagged.any())
        usable = rows.counts.astype(float)
        if any_flagged:
            usable[flagged != 0] = np.nan
        if self._before is None:
            self._before = _reflected(usable, self.threshold_counts)
        # At the end, only suspect rows are held, and nothing will come to confirm them: their
        # missing neighbours stay unknown (NaN), so an off-the-line last reading is rejected. A
        # glitch kept there would read as a peak, or over-pressure; a real step loses a sample.
        after = _reflected(usable[::-1], self.threshold_counts) if open_end else usable[:0]
        context = np.concatenate([self._before, usable, after])
        predicted = 2.0 * context[LOOK - 1 : LOOK - 1 + n] - context[LOOK - 2 : LOOK - 2 + n]
        off_by = np.abs(usable - predicted)
        threshold = self._limits(off_by)  # (channels,) when one limit serves every row
        off_line = ~(off_by <= threshold)  # NaN: off the line
        suspect = off_line | np.concatenate([self._before_off_line[None], off_line[:-1]])
        if any_flagged:
            suspect &= flagged == 0  # already rejected: nothing to judge
        known = max(0, n - LOOK + len(after))  # rows whose right-hand neighbours have come
        any_suspect = bool(suspect.any())  # live, usually not: the rest is skipped
        waiting = suspect[known:].any(axis=1) if any_suspect else None
        decided = known + int(np.argmax(waiting)) if any_suspect and waiting.any() else n
        cleaned, reason = usable[:decided], flagged[:decided]
        judged = suspect[: min(decided, known)]  # the rest of the decided rows are not suspect
        if any_suspect and judged.any():
            spikes = np.zeros(reason.shape, bool)
            limits = threshold[: len(judged)] if threshold.ndim == 2 else threshold
            spikes[: len(judged)] = judged & spike_mask(context[: len(judged) + 2 * LOOK], limits)
            reason = reason.copy()
            reason[spikes] = np.where(is_all_ones(rows.counts[:decided][spikes]), 4, 5)
            cleaned = np.where(spikes, np.nan, cleaned)
            self._count(reason)
        elif any_flagged:
            self._count(reason)
        self._before = context[decided : decided + LOOK]  # left neighbours of the next rows
        if decided:
            self._before_off_line = off_line[decided - 1]
            # A block's window can begin a block before the rows in hand: keep that much more.
            kept = SCALE_ROWS + SCALE_BLOCK
            self._off_by = np.concatenate([self._off_by, off_by[:decided]])[-kept:]
            self._decided_rows += decided
        decided_rows, _ = self._hold(rows, flagged, decided)
        return decided_rows, cleaned

    def _limits(self, off_by: np.ndarray) -> np.ndarray:
        """The limit for each of these rows (the first is row `_decided_rows`), per channel:
        SCALE_FACTOR times the upper quartile of how far the SCALE_ROWS readings before the
        row's block were off the line, held between the floor and the ceiling: (rows, channels),
        or (channels,) when the rows are in one block. Live, one row at a time, the limit is
        worked out once a block and kept."""
        n, start = len(off_by), self._decided_rows
        first, last = start // SCALE_BLOCK, (start + n - 1) // SCALE_BLOCK
        if first == last == self._limit_block:
            return self._limit
        # Readings known so far, the oldest first: those decided, then these rows; NaN before.
        known = np.concatenate(
            [np.full((SCALE_ROWS, off_by.shape[1]), np.nan), self._off_by, off_by]
        )
        origin = start - len(self._off_by) - SCALE_ROWS  # the row index of known[0]
        ends = np.arange(first, last + 1) * SCALE_BLOCK - origin  # where each block starts
        if first == last:  # live: one block, one window
            windows = known[ends[0] - SCALE_ROWS : ends[0], None]
        else:  # a recording's chunk: every block's window at once, as views (no copies)
            view = np.lib.stride_tricks.sliding_window_view(known, SCALE_ROWS, axis=0)
            windows = view[ends - SCALE_ROWS].transpose(2, 0, 1)  # (rows, blocks, channels)
        scale = window_quantile(windows, SCALE_QUANTILE)  # (blocks, channels); NaN: unknown
        # Between the floor and the ceiling; the floor where nothing is known (fmax skips NaN).
        limits = np.minimum(
            np.fmax(SCALE_FACTOR * scale, self.threshold_counts), self.ceiling_counts
        )
        self._limit_block, self._limit = int(last), limits[-1]
        if first == last:
            return self._limit
        return limits[(start + np.arange(n)) // SCALE_BLOCK - first]

    def _hold(self, rows: Batch, flagged: np.ndarray, decided: int) -> tuple[Batch, np.ndarray]:
        """Keep rows[decided:] for later; the decided rows, with no counts yet."""
        if decided < len(rows):
            self._held, self._held_reason = rows.select(slice(decided, None)), flagged[decided:]
        elif len(self._held):
            self._held, self._held_reason = self._held.select(slice(0, 0)), flagged[:0]
        taken = rows if decided == len(rows) else rows.select(slice(0, decided))
        return taken, self._no_counts

    def _count(self, reason: np.ndarray) -> None:
        if not reason.any():
            return
        for code, count in zip(*np.unique(reason[reason > 0], return_counts=True), strict=True):
            self.stats.rejected[REASONS[code - 1]] += int(count)


def _reflected(usable: np.ndarray, threshold: np.ndarray) -> np.ndarray:
    """LOOK rows to put before the first row of `usable`, so that the first rows of a recording
    are judged as fairly as the rest. Usually its odd reflection (2 * x0 - x_k), which continues
    a ramp straight. But reflected about a spike, a spike would be its own median and pass: so
    where the first reading is off the line of the next two by more than `threshold`, the rows
    are the median of the first five, held level, and the first reading is judged against it (a
    spike of two samples at the start is caught too; a real step in the very first sample loses
    that sample, as one in the last does).

    >>> _reflected(np.array([[5.0], [1.0], [1.0], [1.0], [1.0]]), np.array([2.0])).ravel().tolist()
    [1.0, 1.0]
    >>> _reflected(np.array([[0.0], [3.0], [6.0], [9.0], [12.0]]), np.array([2.0])).ravel().tolist()
    [-6.0, -3.0]
    """
    pad = np.full((START_ROWS, usable.shape[1]), np.nan)
    pad[: min(len(usable), START_ROWS)] = usable[:START_ROWS]
    odd = 2.0 * pad[0] - pad[LOOK:0:-1]
    off_line = np.abs(pad[0] - (2.0 * pad[1] - pad[2])) > threshold  # unknown (NaN): not off
    if not off_line.any():
        return odd.reshape(LOOK, -1)
    return np.where(off_line, window_median(pad), odd).reshape(LOOK, -1)
