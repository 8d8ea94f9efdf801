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


def frame_sse(frame: dict) -> bytes:
    """A frame event as a Server-Sent Event, written out directly: the bytes the hub's JSON
    encoding gives (tests/test_web.py holds them equal) for a fraction of its cost, which is paid
    for every sample. Python's repr of a float is JSON's shortest form of it, as json uses.

    >>> frame_sse({"type": "frame", "acquired_at": 1.5, "seq": [7], "t_s": [0.0125],
    ...            "force_n": [None]})
    b'data: {"type":"frame","acquired_at":1.5,"seq":[7],"t_s":[0.0125],"force_n":[null]}\\n\\n'
    """
    text = (
        f'data: {{"type":"frame","acquired_at":{frame["acquired_at"]!r},'
        f'"seq":[{",".join(map(str, frame["seq"]))}],"t_s":{_json_list(frame["t_s"])},'
        f'"force_n":{_json_list(frame["force_n"])}'
    )
    if "x_mm" in frame:
        text += f',"x_mm":{_json_list(frame["x_mm"])},"y_mm":{_json_list(frame["y_mm"])}'
    return (text + "}\n\n").encode()


def _json_list(values: list) -> str:
    return "[" + ",".join("null" if v is None else repr(v) for v in values) + "]"


def _json_numbers(values: np.ndarray, digits: int) -> list:
    """Rounded floats, with None (JSON null) where a value is NaN."""
    return [round(v, digits) if math.isfinite(v) else None for v in values.tolist()]
