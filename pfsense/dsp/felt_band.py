"""A band by feel: the force of a few seconds' press at a felt intensity, and the band between the
"firm but comfortable" and "strong but tolerable" presses (pfsense.clinical.doses, Grabow 2018)."""

import numpy as np

from pfsense.calibration.model import Calibration
from pfsense.clinical import doses
from pfsense.dsp.features import FeatureConfig
from pfsense.dsp.force_stats import CONTACT_N
from pfsense.dsp.pipeline import Processed, Processor
from pfsense.errors import DemonstrationError
from pfsense.sensors.batch import Batch
from pfsense.sensors.layout import Layout

MIN_PRESSED_FRACTION = 0.6  # most of the press must be on the ball, else it was not one


def press_force(batch: Batch, layout: Layout, calibration: Calibration, rate_hz: float) -> dict:
    """The median force of a press (its loaded samples, cleaned as the live page's are)."""
    processor = Processor(layout, calibration, rate_hz, FeatureConfig(rate_hz, layout.is_plate))
    rows = Processed.concat([processor.process(batch), processor.finish()])
    duration_s = len(batch) / rate_hz
    pressed = rows.force_n[rows.force_n >= CONTACT_N]  # NaN (rejected) compares False
    pressed_s = len(pressed) / rate_hz
    if pressed_s < MIN_PRESSED_FRACTION * duration_s:
        raise DemonstrationError(
            f"only {pressed_s:.1f} s of the {duration_s:.0f} s press were on the ball: press "
            "and keep pressing until the countdown ends, then try again"
        )
    return {"force_n": round(float(np.median(pressed)), 1), "pressed_s": round(pressed_s, 1)}


def felt_band(comfortable_n: float, strong_n: float) -> tuple[float, float]:
    """The band from the comfortable press to the strong one; refused when they are too alike
    (or the wrong way round) to guide anyone."""
    if strong_n < comfortable_n:
        raise DemonstrationError(
            f"the 'strong but tolerable' press ({strong_n:.0f} N) was lighter than the 'firm but "
            f"comfortable' one ({comfortable_n:.0f} N): measure both again"
        )
    if strong_n - comfortable_n < doses.FEEL_MIN_SPREAD * strong_n:
        raise DemonstrationError(
            f"the two presses were too alike ({comfortable_n:.0f} N and {strong_n:.0f} N): for "
            "'strong but tolerable', press as hard as you can bear without pain"
        )
    return (round(comfortable_n, 1), round(strong_n, 1))
