"""Target pressure by demonstration: the therapist presses "the way I want it" for 10-20 s;
pfsense proposes a force band around the median it saw, and the cadence and stroke it saw.

Therapists' own force is only moderately consistent from day to day (Mickelwright 2006, in
DOMAIN.md): the demonstration is recorded once and the band then holds the patient to it.
"""

import numpy as np

from pfsense.calibration.model import Calibration
from pfsense.dsp.features import FeatureConfig
from pfsense.dsp.force_stats import CONTACT_N
from pfsense.dsp.pipeline import Processed, Processor
from pfsense.dsp.report import report
from pfsense.errors import DemonstrationError
from pfsense.sensors.batch import Batch
from pfsense.sensors.layout import Layout

DEMONSTRATION_S = (10.0, 20.0)  # the 10-20 s: long enough for several strokes
MIN_LOADED_FRACTION = 0.5  # half the demonstration must be pressing, else it was not one
DEFAULT_TOLERANCE = 0.2  # band = median +/- 20 %; the therapist adjusts it
TOLERANCE_RANGE = (0.05, 0.5)
CADENCE_TOLERANCE = 0.2


def propose_target(
    batch: Batch,
    layout: Layout,
    calibration: Calibration,
    rate_hz: float,
    tolerance: float = DEFAULT_TOLERANCE,
) -> dict:
    """The band, cadence and stroke a demonstration shows, from its raw samples."""
    processor = Processor(layout, calibration, rate_hz, FeatureConfig(rate_hz, layout.is_plate))
    rows = Processed.concat([processor.process(batch), processor.finish()])
    duration_s = len(batch) / rate_hz
    loaded = rows.force_n[rows.force_n >= CONTACT_N]  # NaN (rejected) compares False
    loaded_s = len(loaded) / rate_hz
    if loaded_s < MIN_LOADED_FRACTION * duration_s:
        raise DemonstrationError(
            f"only {loaded_s:.1f} s of the {duration_s:.0f} s demonstration pressed on the device "
            f"(at least {MIN_LOADED_FRACTION:.0%} is needed): press the way you want it for the "
            "whole time, then try again"
        )
    median_n = float(np.median(loaded))
    features = report(processor, len(batch), None)
    cadence = features["cadence_per_min"]
    return {
        "duration_s": round(duration_s, 1),
        "loaded_s": round(loaded_s, 1),
        "median_force_n": round(median_n, 1),
        "p10_p90_force_n": [round(float(v), 1) for v in np.percentile(loaded, [10, 90])],
        "tolerance": tolerance,
        "band_n": _around(median_n, tolerance),
        "technique": features["technique"],
        "cadence_per_min": cadence,
        "cadence_range_per_min": _around(cadence, CADENCE_TOLERANCE) if cadence else None,
        "stroke_direction": features["stroke_direction"],
        "stroke_length_mm": features["stroke_length_mm"],
    }


def _around(value: float, tolerance: float) -> list[float]:
    return [round(value * (1 - tolerance), 1), round(value * (1 + tolerance), 1)]
