"""Force and position on a plate carried by four corner load cells.

Axes (shared HARDWARE_FACTS.md): x across the foot (+ to the user's right), y along the foot
(+ towards the toes), millimetres, origin at the plate centre. Corner order is fl, fr, rl, rr.
"""

import numpy as np

# Signs of each corner's x and y, in PLATE4 channel order fl, fr, rl, rr.
CORNER_SIGN_X = np.array([-1.0, 1.0, -1.0, 1.0])
CORNER_SIGN_Y = np.array([1.0, 1.0, -1.0, -1.0])

# Below this total force the position is noise: a resting plate, a foot hovering. The HX711's
# noise is ~0.01 N per cell; a foot that is really working the ball loads it with tens of newtons.
CONTACT_THRESHOLD_N = 5.0


def corner_forces_n(
    force_n: np.ndarray, x_mm: np.ndarray, y_mm: np.ndarray, width_mm: float, length_mm: float
) -> np.ndarray:
    """Corner forces (n, 4) for a point load `force_n` at (x_mm, y_mm).

    A stiff plate on four equal cells tilts as a plane, so each corner takes
    F * (1/4 + sx * x / (2W) + sy * y / (2L)); the centre of pressure of these forces is (x, y)
    exactly. A corner near which the load does not stand can go below zero (the cell is in tension,
    as a bolted cell can be).
    """
    force_n = np.asarray(force_n, dtype=float)[:, None]
    share = (
        0.25
        + CORNER_SIGN_X * np.asarray(x_mm, dtype=float)[:, None] / (2.0 * width_mm)
        + CORNER_SIGN_Y * np.asarray(y_mm, dtype=float)[:, None] / (2.0 * length_mm)
    )
    return force_n * share


def centre_of_pressure_mm(
    corners_n: np.ndarray,
    width_mm: float,
    length_mm: float,
    contact_threshold_n: float = CONTACT_THRESHOLD_N,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Total force and centre of pressure from corner forces (n, 4) in fl, fr, rl, rr order.

    Returns (force_n, x_mm, y_mm); x and y are NaN where the total is below the contact threshold.
    """
    fl, fr, rl, rr = np.asarray(corners_n, dtype=float).T
    force_n = ((fl + fr) + rl) + rr
    in_contact = force_n >= contact_threshold_n
    safe_force_n = np.where(in_contact, force_n, 1.0)
    x_mm = (width_mm / 2.0) * ((fr + rr) - (fl + rl)) / safe_force_n
    y_mm = (length_mm / 2.0) * ((fl + fr) - (rl + rr)) / safe_force_n
    return force_n, np.where(in_contact, x_mm, np.nan), np.where(in_contact, y_mm, np.nan)
