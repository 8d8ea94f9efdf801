"""What the page is sent: batches turned into force (and position) frames, as plain JSON-able dicts.

Everything a user sees is computed here, in Python; the browser only draws it.
"""

import math

import numpy as np

from pfsense import plate
from pfsense.calibration import Calibration
from pfsense.layout import Layout
from pfsense.sensors.batch import Batch
from pfsense.sensors.flags import SampleFlag

# A sample with any of these on any channel has no trustworthy force. DROPPED only says that
# samples before it were lost; the sample itself is fine.
UNUSABLE = np.uint8(SampleFlag.SATURATED | SampleFlag.DESYNC | SampleFlag.TIMEOUT)


def batch_force_n(batch: Batch, calibration: Calibration) -> np.ndarray:
    """Per-channel force (n, ch); NaN where a sample is flagged unusable."""
    force_n = calibration.force_n(batch.counts)
    return np.where(batch.flags & UNUSABLE, np.nan, force_n)


def frame_event(batch: Batch, calibration: Calibration, layout: Layout) -> dict:
    """The frame event for a batch: every sample's time and total force, and on a plate the
    position."""
    cell_force_n = batch_force_n(batch, calibration)
    frame = {
        "type": "frame",
        "acquired_at": round(float(batch.acquired_at[-1]), 4),
        "seq": batch.seq.tolist(),
        "t_s": _json_numbers(batch.t_s, 4),
    }
    if layout.is_plate:
        force_n, x_mm, y_mm = plate.centre_of_pressure_mm(
            cell_force_n, layout.plate_width_mm, layout.plate_length_mm
        )
        frame.update(
            force_n=_json_numbers(force_n, 2),
            x_mm=_json_numbers(x_mm, 1),
            y_mm=_json_numbers(y_mm, 1),
        )
    else:
        frame["force_n"] = _json_numbers(cell_force_n[:, 0], 2)
    return frame


def _json_numbers(values: np.ndarray, digits: int) -> list:
    """Rounded floats, with None (JSON null) where a value is NaN."""
    return [
        round(v, digits) if math.isfinite(v) else None
        for v in np.asarray(values, dtype=float).tolist()
    ]
