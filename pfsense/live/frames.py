"""What the page is sent: processed rows as frame events, plain JSON-able dicts.

Everything a user sees is computed in Python (pfsense.dsp); the browser only draws it.
"""

import math

import numpy as np

from pfsense.dsp.pipeline import Processed
from pfsense.sensors.layout import Layout


def frame_event(rows: Processed, layout: Layout) -> dict:
    """Every processed sample's time and force, and on a plate its position. A rejected sample's
    force is null, as is a position below the contact threshold."""
    frame = {
        "type": "frame",
        "acquired_at": round(float(rows.acquired_at[-1]), 4),
        "seq": rows.seq.tolist(),
        "t_s": _json_numbers(rows.t_s, 4),
        "force_n": _json_numbers(rows.force_n, 2),
    }
    if layout.is_plate:
        frame.update(x_mm=_json_numbers(rows.x_mm, 1), y_mm=_json_numbers(rows.y_mm, 1))
    return frame


def _json_numbers(values: np.ndarray, digits: int) -> list:
    """Rounded floats, with None (JSON null) where a value is NaN."""
    return [round(v, digits) if math.isfinite(v) else None for v in values.tolist()]
