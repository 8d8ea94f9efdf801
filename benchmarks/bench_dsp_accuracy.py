"""Accuracy of the signal processing over a larger simulator scenario set than the tests use:
noise and glitches on, several seeds, every technique, both layouts.

Run: .venv/bin/python benchmarks/bench_dsp_accuracy.py [--seeds 10]
"""

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pfsense.clinical.doses import rolling_force_n
from pfsense.clinical.techniques import Technique
from pfsense.dsp.technique import ForceReference, classify
from tests.scenarios import analyse, calibrate, hold

try:
    from benchmarks.common import report
except ImportError:
    from common import report

DIRECTIONS = {
    Technique.ROLLING: "along",
    Technique.DEEP_TISSUE: "along",
    Technique.CROSS_FIBER_FRICTION: "across",
    Technique.TRIGGER_POINT: "none",
    Technique.MYOFASCIAL_RELEASE: "none",
}
RHYTHMIC = [("plate4", Technique.ROLLING), ("plate4", Technique.CROSS_FIBER_FRICTION),
            ("plate4", Technique.CALF_RELEASE), ("single", Technique.ROLLING),
            ("single", Technique.CALF_RELEASE)]  # fmt: skip


def cadence_errors(seeds) -> None:
    for layout, technique in RHYTHMIC:
        errors = []
        for seed in seeds:
            outcome = analyse(layout, technique, seed)
            errors.append(
                100 * abs(outcome.summary["cadence_per_min"] / outcome.true_cadence_per_min() - 1)
            )
        report(f"cadence error, {layout} {technique.value}", float(np.median(errors)), "% median",
               f"max {max(errors):.1f} % over {len(seeds)} seeds, 120 s each")  # fmt: skip


def force_and_position_errors(seeds) -> None:
    for layout in ("single", "plate4"):
        force, position = [], []
        for seed in seeds:
            outcome = analyse(
                layout, Technique.ROLLING, seed, seconds=60.0, calibration=calibrate(layout, seed)
            )
            force.append(
                100 * abs(outcome.summary["force_n"]["mean"] / outcome.true_mean_force_n() - 1)
            )
            if layout == "plate4":
                truth, rows = outcome.batch.truth, outcome.processed
                loaded = (truth.force_n > 20.0) & np.isfinite(rows.x_mm)
                dx = rows.x_mm[loaded] - truth.x_mm[loaded]
                dy = rows.y_mm[loaded] - truth.y_mm[loaded]
                position.append(np.percentile(np.hypot(dx, dy), 99))
        report(f"mean force error after calibration, {layout}", float(np.median(force)), "% median",
               f"max {max(force):.2f} %")  # fmt: skip
        if position:
            report("centre of pressure error, plate4, p99", float(np.median(position)), "mm median",
                   f"max {max(position):.2f} mm")  # fmt: skip


# The simulated person's own working force, which a still press is told apart by (a trigger
# point's firm hold or a gentle release).
PERSON = ForceReference(working_force_n=rolling_force_n())


def classification(seeds) -> None:
    for layout in ("plate4", "single"):
        right = total = direction_right = 0
        for technique in Technique:
            if layout == "single" and technique == Technique.CROSS_FIBER_FRICTION:
                continue  # a single cell cannot see across from along
            for seed in seeds:
                outcome = analyse(layout, technique, seed, seconds=90.0)
                right += classify(outcome.summary, PERSON) == technique
                total += 1
                if layout == "plate4" and technique in DIRECTIONS:
                    direction_right += outcome.summary["stroke_direction"] == DIRECTIONS[technique]
        report(
            f"technique named right, {layout}", 100 * right / total, "%", f"{right} of {total} runs"
        )
        if layout == "plate4":
            runs = len(DIRECTIONS) * len(seeds)
            report(
                "stroke direction right, plate4",
                100 * direction_right / runs,
                "%",
                f"of {runs} runs",
            )


def hold_errors(seeds) -> None:
    for layout in ("plate4", "single"):
        errors = []
        for seed in seeds:
            for seconds in (15.0, 30.0, 60.0, 90.0):
                holds, _start_s, true_s = hold(layout, seconds, seed)
                errors.append(abs((holds[0]["duration_s"] if len(holds) == 1 else 0.0) - true_s))
        report(f"hold duration error, {layout}", float(np.median(errors)), "s median",
               f"max {max(errors):.1f} s, holds of 15-90 s")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=10)
    seeds = list(range(100, 100 + parser.parse_args().seeds))
    cadence_errors(seeds)
    force_and_position_errors(seeds)
    classification(seeds)
    hold_errors(seeds)


if __name__ == "__main__":
    main()
