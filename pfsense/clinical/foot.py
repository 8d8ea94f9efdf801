"""Where on the sole the ball is, and which zone that is.

A ball rolling without slipping between a moving foot and a fixed plate moves half as far as the
foot, so the contact point on the sole moves as far as the ball, the other way (HARDWARE_FACTS.md).
pfsense anchors that mapping with the ball at the plate centre under the middle of the sole; the
plate's centre line is marked for the user to start there.
"""

import numpy as np

from pfsense.clinical.techniques import ZONE_CODES, Zone

DEFAULT_FOOT_MM = 260.0  # an adult foot; the therapist enters the patient's own
FOOT_MM_RANGE = (150.0, 350.0)

# Zone boundaries as fractions of foot length from the back of the heel: the three-region split
# (rearfoot, midfoot, forefoot) common in plantar-pressure analysis.
ZONE_BOUNDS_FRACTION = {
    Zone.HEEL: (0.0, 0.3),
    Zone.ARCH: (0.3, 0.6),
    Zone.FOREFOOT: (0.6, 1.0),
}


def sole_mm_from_plate_y(y_mm: np.ndarray, foot_mm: float = DEFAULT_FOOT_MM) -> np.ndarray:
    """Contact point on the sole, mm from the back of the heel, for the ball at plate y (mm)."""
    return foot_mm / 2.0 - np.asarray(y_mm, dtype=float)


def plate_y_from_sole_mm(sole_mm: np.ndarray, foot_mm: float = DEFAULT_FOOT_MM) -> np.ndarray:
    """Inverse of :func:`sole_mm_from_plate_y`."""
    return foot_mm / 2.0 - np.asarray(sole_mm, dtype=float)


def zone_centre_sole_mm(zone: Zone, foot_mm: float = DEFAULT_FOOT_MM) -> float:
    """The middle of a sole zone, mm from the heel."""
    low, high = ZONE_BOUNDS_FRACTION[zone]
    return foot_mm * (low + high) / 2.0


def zone_codes_for_sole_mm(sole_mm: np.ndarray, foot_mm: float = DEFAULT_FOOT_MM) -> np.ndarray:
    """Zone code per sample (techniques.ZONE_CODES); 0 off the sole or where sole_mm is NaN."""
    fraction = np.asarray(sole_mm, dtype=float) / foot_mm
    codes = np.zeros(fraction.shape, dtype=np.uint8)
    for zone, (low, high) in ZONE_BOUNDS_FRACTION.items():
        upper_ok = fraction <= high if high == 1.0 else fraction < high
        codes[(fraction >= low) & upper_ok] = ZONE_CODES[zone]
    return codes
