"""Technique recognition on an evaluation corpus (pfsense.sim.corpus): cases with variety the
simulator's scripts lack, each through the whole processing path as a recording would go, and
the technique pfsense names against the one that was done. Prints a confusion matrix per layout
(rows: what was done; columns: what pfsense said, "-" for "cannot tell").

Run: .venv/bin/python benchmarks/bench_techniques.py [--cases 40] [--seed 0]
"""

import argparse
import time
from collections import Counter

from pfsense.clinical.techniques import Technique
from pfsense.dsp.features import FeatureConfig
from pfsense.dsp.pipeline import Processor
from pfsense.dsp.technique import ForceReference, classify
from pfsense.sim.corpus import Case, corpus

try:
    from benchmarks.common import report
except ImportError:
    from common import report

SHORT = {
    Technique.ROLLING: "roll",
    Technique.DEEP_TISSUE: "deep",
    Technique.CROSS_FIBER_FRICTION: "cross",
    Technique.MYOFASCIAL_RELEASE: "mfr",
    Technique.TRIGGER_POINT: "tp",
    Technique.CALF_RELEASE: "calf",
    None: "-",
}


REFERENCES = {
    "none": lambda case: None,
    "working force": lambda case: ForceReference(working_force_n=case.working_force_n),
    "targets": lambda case: ForceReference(bands_n=case.targets),
}


def summary(case: Case) -> dict:
    """A case's feature summary, processed as a recording would be."""
    config = FeatureConfig(case.rate_hz, case.layout.is_plate)
    processor = Processor(case.layout, case.calibration, case.rate_hz, config)
    processor.process(case.batch)
    processor.finish()
    return processor.tracker.summary()


def print_matrix(layout: str, counts: Counter) -> None:
    columns = [*Technique, None]
    print(f"\n{layout}: rows done, columns named")
    print(f"{'':>7}" + "".join(f"{SHORT[c]:>7}" for c in columns) + f"{'right':>8}")
    for done in Technique:
        row = [counts[(done, named)] for named in columns]
        total = sum(row)
        right = counts[(done, done)] / total if total else 0.0
        print(f"{SHORT[done]:>7}" + "".join(f"{n:>7}" for n in row) + f"{100 * right:>7.0f}%")


def one_cell_can_tell(case: Case) -> bool:
    """What one cell can tell apart: it has no position, so friction across the foot reads as
    strokes (rolling), and strokes slower than 7 a minute as a press that swells."""
    if case.layout.is_plate:
        return True
    if case.technique == Technique.CROSS_FIBER_FRICTION:
        return False
    return not (case.technique == Technique.DEEP_TISSUE and case.cadence_per_min < 7.0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=40, help="cases per technique and layout")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    for layout in ("plate4", "single"):
        started = time.perf_counter()
        cases = list(corpus(layout, args.cases, args.seed))
        summaries = [summary(case) for case in cases]
        for name, reference in REFERENCES.items():
            counts = Counter(
                (case.technique, classify(s, reference(case)))
                for case, s in zip(cases, summaries, strict=True)
            )
            print_matrix(f"{layout}, force judged against {name}", counts)
            told = Counter(
                (case.technique, classify(s, reference(case)))
                for case, s in zip(cases, summaries, strict=True)
                if one_cell_can_tell(case)
            )
            total = sum(told.values())
            right = sum(n for (done, named), n in told.items() if done == named)
            wrong = sum(n for (done, named), n in told.items() if named not in (done, None))
            worst = min(
                (told[(t, t)] / n, t.value)
                for t in Technique
                if (n := sum(v for (done, _), v in told.items() if done == t))
            )
            scope = "" if layout == "plate4" else " (what one cell can tell)"
            report(f"{layout}, against {name}: named right{scope}", 100 * right / total, "%",
                   f"{100 * wrong / total:.1f} % wrong; worst {worst[1]} "
                   f"{100 * worst[0]:.0f} %")  # fmt: skip
        print(f"({len(cases)} cases in {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
