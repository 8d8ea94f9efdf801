"""The per-sample stages for live use, one sample at a time in plain Python.

Live batches are one or two samples; numpy's per-call overhead (about a microsecond a call, a few
hundred calls a batch) would cost far more than the arithmetic. This path does the same steps as
the vectorised one (pfsense.dsp.clean, calibration, plate, blocks, force statistics) in the same
order of operations, and hands each completed block to the same block-level stages (re-zero,
rhythm, holds, coverage). The tests feed both paths the same rows and compare the results.
"""

import math

from pfsense.dsp.clean import ALL_ONES_MIN_BITS, LOOK, REASONS
from pfsense.dsp.plate import CONTACT_THRESHOLD_N
from pfsense.sensors.adc import COUNTS_MAX, COUNTS_MIN
from pfsense.sensors.batch import SEQ_MODULO, Batch
from pfsense.sensors.flags import SampleFlag

NAN = math.nan
_SATURATED, _DESYNC, _TIMEOUT = (
    int(SampleFlag.SATURATED),
    int(SampleFlag.DESYNC),
    int(SampleFlag.TIMEOUT),
)


def _reason(count: int, flag: int) -> int:
    """As pfsense.dsp.clean.flag_reasons, for one reading."""
    if flag & _SATURATED or count in (COUNTS_MAX, COUNTS_MIN):
        return 1
    if flag & _DESYNC:
        return 2
    if flag & _TIMEOUT:
        return 3
    return 0


def _is_all_ones(count: int) -> bool:
    raw = count & 0xFFFFFF
    return (raw & (raw + 1)) == 0 and raw >= (1 << ALL_ONES_MIN_BITS) - 1


def _median(window: list[float]) -> float:
    """As pfsense.dsp.clean.window_median for one window."""
    valid = sorted(v for v in window if v == v)
    if not valid:
        return NAN
    k = len(valid)
    return (valid[(k - 1) // 2] + valid[k // 2]) / 2.0


def _numpy_sum(values: list[float]) -> float:
    """A sum in numpy's order (pairwise in eights), so block means match the vectorised path."""
    n = len(values)
    if n < 8:
        total = 0.0
        for v in values:
            total += v
        return total
    r = values[:8]
    i = 8
    while i + 8 <= n:
        r = [r[j] + values[i + j] for j in range(8)]
        i += 8
    total = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
    for v in values[i:]:
        total += v
    return total


def _mean(values: list[float]) -> float:
    valid = [v for v in values if v == v]
    return _numpy_sum([v if v == v else 0.0 for v in values]) / len(valid) if valid else NAN


def _extremes(values: list[float]) -> tuple[float, float]:
    valid = [v for v in values if v == v]
    return (min(valid), max(valid)) if valid else (NAN, NAN)


class LivePath:
    """Cleaning, calibration, centre of pressure, force statistics and blocks for one Processor,
    sample by sample. Its state is its own: a Processor uses this path or the vectorised one."""

    def __init__(self, processor) -> None:
        self.p = processor
        layout = processor.layout
        self.channels = len(layout.channels)
        self.plate = (layout.plate_width_mm, layout.plate_length_mm) if layout.is_plate else None
        self.threshold = processor.cleaner.threshold_counts.tolist()
        self.held: list[tuple] = []  # (t_s, acquired_at, seq, counts, reasons) awaiting neighbours
        self.before: list[list[float]] = [[NAN] * self.channels for _ in range(LOOK)]
        self.first = True
        self.last_seq: int | None = None
        self.block: list[tuple] = []  # rows of the unfinished block
        self.out: list[tuple] = []
        self._clean_reasons = [0] * self.channels

    def process(self, batch: Batch) -> list[tuple]:
        stats = self.p.cleaner.stats
        stats.samples += len(batch) * self.channels
        rows = zip(batch.t_s.tolist(), batch.acquired_at.tolist(), batch.seq.tolist(),
                   batch.counts.tolist(), batch.flags.tolist(), strict=True)  # fmt: skip
        for t_s, acquired_at, seq, counts, flags in rows:
            if self.last_seq is not None:
                stats.lost_samples += (seq - self.last_seq - 1) % SEQ_MODULO
            self.last_seq = seq
            if any(flags) or COUNTS_MAX in counts or COUNTS_MIN in counts:
                reasons = [_reason(c, f) for c, f in zip(counts, flags, strict=True)]
                usable = [float(c) if r == 0 else NAN for c, r in zip(counts, reasons, strict=True)]
            else:  # the usual clean sample
                reasons, usable = self._clean_reasons, [float(c) for c in counts]
            self.held.append((t_s, acquired_at, seq, counts, reasons, usable))
            if len(self.held) > LOOK:
                self._start([row[5] for row in self.held])
                self._decide(self.held.pop(0), [row[5] for row in self.held])
        return self._take()

    def finish(self) -> list[tuple]:
        """The held rows, with the mirror image of the last ones standing in for the samples
        that never came (in the vectorised path's order: the median does not care)."""
        if self.held:
            usable = [row[5] for row in self.held]
            self._start(usable)
            right = usable + _reflected(usable[::-1], self.channels)
            for i, row in enumerate(self.held):
                self._decide(row, right[i + 1 : i + 1 + LOOK])
            self.held = []
        return self._take()

    def _start(self, usable: list[list[float]]) -> None:
        if self.first:  # no left neighbours yet: reflect the first rows
            self.before, self.first = _reflected(usable, self.channels), False

    def _take(self) -> list[tuple]:
        out, self.out = self.out, []
        return out

    def _decide(self, row: tuple, after: list[list[float]]) -> None:
        here = row[5]
        reasons = row[4]
        for ch in range(self.channels):
            x = here[ch]
            if x != x:
                continue
            left, right, limit = self.before[1][ch], after[0][ch], self.threshold[ch]
            if abs(x - left) <= limit and abs(x - right) <= limit:
                continue  # near both neighbours, so near the median too (see clean.spike_mask)
            window = [self.before[0][ch], left, x, right, after[1][ch]]
            if abs(x - _median(window)) > limit:
                reasons = list(reasons)  # copy on write: clean rows share one list
                reasons[ch] = 4 if _is_all_ones(row[3][ch]) else 5
        for reason in reasons:
            if reason:
                self.p.cleaner.stats.rejected[REASONS[reason - 1]] += 1
        self.before = [self.before[1], here]
        cleaned = [x if r == 0 else NAN for x, r in zip(here, reasons, strict=True)]
        self._measure(row[0], row[1], row[2], cleaned)

    def _measure(self, t_s: float, acquired_at: float, seq: int, counts: list[float]) -> None:
        calibration = self.p.calibration
        cells = [
            (c - o) / s
            for c, o, s in zip(
                counts, calibration.offset_counts, calibration.counts_per_n, strict=True
            )
        ]
        if self.plate is None:
            force, x_mm, y_mm = cells[0], NAN, NAN
        else:
            fl, fr, rl, rr = cells
            force = ((fl + fr) + rl) + rr
            width_mm, length_mm = self.plate
            if force >= CONTACT_THRESHOLD_N:
                x_mm = (width_mm / 2.0) * ((fr + rr) - (fl + rl)) / force
                y_mm = (length_mm / 2.0) * ((fl + fr) - (rl + rr)) / force
            else:
                x_mm = y_mm = NAN
        for tracker in self.p.trackers:
            tracker.add_one_sample(t_s, force)
        self.out.append((t_s, acquired_at, seq, force, x_mm, y_mm))
        self.block.append((t_s, force, x_mm, y_mm, counts))
        if len(self.block) == self.p.blocker.size:
            self._close_block()

    def _close_block(self) -> None:
        rows, self.block = self.block, []
        force = [r[1] for r in rows]
        x = [r[2] for r in rows]
        y = [r[3] for r in rows]
        _, force_max = _extremes(force)
        x_min, x_max = _extremes(x)
        y_min, y_max = _extremes(y)
        counts = [_mean([r[4][ch] for r in rows]) for ch in range(self.channels)]
        mean_force = _mean(force)
        p = self.p
        if p.autozero is not None and p.autozero.observe_one(mean_force, force_max, counts):
            p.calibration = p.autozero.calibration  # later samples use the new zero
        x_mean, y_mean = _mean(x), _mean(y)
        columns = (rows[-1][0], mean_force, force_max, x_mean, x_min, x_max, y_mean, y_min, y_max)
        for tracker in p.trackers:
            tracker.add_block(p.block_s, *columns)


def _reflected(usable: list[list[float]], channels: int) -> list[list[float]]:
    """As pfsense.dsp.clean._reflected: 2 * x0 - x_k for k = LOOK..1, NaN where rows are missing."""
    pad = (usable + [[NAN] * channels] * (LOOK + 1))[: LOOK + 1]
    return [[2.0 * pad[0][ch] - pad[k][ch] for ch in range(channels)] for k in range(LOOK, 0, -1)]
