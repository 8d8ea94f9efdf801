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

    >>> force_n, x_mm, y_mm = centre_of_pressure_mm(np.array([[10.0, 30.0, 10.0, 30.0]]), 300, 400)
    >>> force_n.tolist(), x_mm.tolist(), y_mm.tolist()
    ([80.0], [75.0], [0.0])
    """
    corners_n = np.asarray(corners_n, dtype=float)
    # The total and both moments in one pass (few numpy calls for a live sample; no BLAS, whose
    # threads would cost more than they save on rows of four).
    sums = (corners_n[:, None, :] * _SIGNS).sum(axis=2)
    force_n = sums[:, 0]
    # Divided only where there is contact (no warning to silence); NaN elsewhere, and where a
    # rejected cell made the total NaN (the comparison is False).
    contact = (force_n >= contact_threshold_n)[:, None]
    no_contact = np.full((len(sums), 2), np.nan)
    position_mm = np.divide(sums[:, 1:], force_n[:, None], out=no_contact, where=contact)
    position_mm *= (_HALF * width_mm, _HALF * length_mm)
    return force_n, position_mm[:, 0], position_mm[:, 1]


# Rows: total, x moment (right minus left), y moment (front minus rear).
_SIGNS = np.stack([np.ones(4), CORNER_SIGN_X, CORNER_SIGN_Y])
_HALF = 0.5
