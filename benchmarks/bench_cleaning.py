"""The cleaner on the evaluation corpus (pfsense.sim.corpus): real work with tremor, sway,
harmonics, stalls, jittered times at 10, 40 and 80 Hz, forces 20-400 N, both layouts.

1. Clean data: the share of readings rejected (none should be: every one is real).
2. The same data with glitches put in at random readings, the very first among them: spikes of
   one or two samples (a shifted bit, 17 to 22), the HX711's saturation codes and all-ones reads
   (2**n - 1, n 18-24, a preempted bit-bang); the share of them caught.
3. Cells of other sensitivities: the same at 1,100 counts/N (a 200 kg cell) and 17,500 (a
   10 kg cell), where a shifted bit 17 is 120 N and 7.5 N.

Run: .venv/bin/python benchmarks/bench_cleaning.py [--cases 20] [--seed 0]
"""

import argparse
from dataclasses import replace

import numpy as np

from pfsense.calibration.model import Calibration
from pfsense.dsp.clean import Cleaner
from pfsense.sensors.adc import COUNTS_MAX, COUNTS_MIN, sign_extend_24_array
from pfsense.sensors.batch import Batch
from pfsense.sensors.flags import SampleFlag
from pfsense.sim.corpus import Case, corpus

try:
    from benchmarks.common import report
except ImportError:
    from common import report

GLITCH_SHARE = 0.005  # of readings, per kind


def rescaled(case: Case, counts_per_n: float) -> Case:
    """The same forces read by cells of another sensitivity."""
    old = case.calibration
    force_n = old.force_n(case.batch.counts)
    new = Calibration(old.offset_counts, (counts_per_n,) * len(old.counts_per_n), "rescaled")
    counts = np.clip(new.counts(force_n), COUNTS_MIN + 1, COUNTS_MAX - 1).astype(np.int32)
    return replace(case, batch=replace(case.batch, counts=counts), calibration=new)


def with_glitches(batch: Batch, rng: np.random.Generator) -> tuple[Batch, np.ndarray]:
    """The batch with glitches in it, and where they are (n, channels)."""
    counts, flags = batch.counts.copy(), batch.flags.copy()
    placed = np.zeros(counts.shape, bool)
    n, channels = counts.shape
    for kind in ("spike", "spike2", "saturated", "all_ones"):
        hits = max(1, int(GLITCH_SHARE * n))
        rows = rng.choice(np.arange(2, n - 4), hits, replace=False)
        if kind == "spike":
            rows[0] = 0  # a glitch on the very first sample
        cells = rng.integers(0, channels, hits)
        for row, cell in zip(rows, cells, strict=True):
            if placed[max(0, row - 3) : row + 4, cell].any():
                continue  # keep glitches apart: a neighbour's glitch is not this one's context
            span = 2 if kind == "spike2" else 1
            targets = slice(row, row + span)
            if kind.startswith("spike"):
                bit = int(rng.integers(17, 23))
                raw = (counts[targets, cell].astype(np.int64) & 0xFFFFFF) ^ (1 << bit)
                counts[targets, cell] = sign_extend_24_array(raw)
            elif kind == "saturated":
                counts[targets, cell] = COUNTS_MAX if rng.uniform() < 0.5 else COUNTS_MIN
                flags[targets, cell] |= np.uint8(SampleFlag.SATURATED)
            else:
                ones = (1 << int(rng.integers(18, 25))) - 1
                counts[targets, cell] = sign_extend_24_array(np.array([ones] * span))
            placed[targets, cell] = True
    return replace(batch, counts=counts, flags=flags), placed


def rejected(case: Case, batch: Batch) -> np.ndarray:
    """Where the cleaner rejected a reading, fed in one-second pieces as a live stream is."""
    cleaner = Cleaner(len(case.layout.channels), np.asarray(case.calibration.counts_per_n))
    step = max(1, int(case.rate_hz))
    parts = [cleaner.clean(batch.select(slice(i, i + step)))[1] for i in range(0, len(batch), step)]
    parts.append(cleaner.finish()[1])
    return np.isnan(np.concatenate(parts))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=20, help="cases per technique and layout")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    for sensitivity in (None, 1100.0, 17500.0):
        kept_wrong = readings = caught = glitches = 0
        for layout in ("plate4", "single"):
            for case in corpus(layout, args.cases, args.seed):
                if sensitivity is not None:
                    case = rescaled(case, sensitivity)
                kept_wrong += int(rejected(case, case.batch).sum())
                readings += case.batch.counts.size
                glitched, placed = with_glitches(case.batch, rng)
                caught += int((rejected(case, glitched) & placed).sum())
                glitches += int(placed.sum())
        label = "corpus cells" if sensitivity is None else f"{sensitivity:,.0f} counts/N"
        report(f"clean readings rejected, {label}", 100 * kept_wrong / readings, "%",
               f"of {readings:,}")  # fmt: skip
        report(f"glitches caught, {label}", 100 * caught / glitches, "%", f"of {glitches:,}")


if __name__ == "__main__":
    main()
