"""Default doses: force, cadence, durations and sessions a week, each with its source.

These are starting points that a therapist overrides per patient. The sources are the ones collected
in the project's DOMAIN.md. pfsense gives feedback on technique; it does not diagnose or treat.
"""

GRAVITY_M_PER_S2 = 9.80665

# A reference adult for the simulator and for defaults before a therapist sets a patient's own.
REFERENCE_BODY_MASS_KG = 70.0

# Foam-rolling force studies: mean ~32-34 % of body weight, peaks ~51-55 % (Baumgart 2019).
ROLLING_MEAN_FRACTION_OF_BODY_WEIGHT = 0.33
ROLLING_PEAK_FRACTION_OF_BODY_WEIGHT = 0.53

# Roller studies used 127-267 N; higher force did not add range-of-motion gains (Grabow 2018).
DEFAULT_TARGET_BAND_N = (127.0, 267.0)

# Self-paced rolling cadence 33 +/- 10 cycles/min; slow protocols 15, fast 30 (Sezik 2024).
SELF_PACED_CADENCE_PER_MIN = 33.0
SELF_PACED_CADENCE_SD_PER_MIN = 10.0
SLOW_CADENCE_PER_MIN = 15.0
FAST_CADENCE_PER_MIN = 30.0

# 30-120 s per area, 1-3 sets, ~30 s rest; tender spots held 15-90 s (DOMAIN.md, dosing).
AREA_DURATION_S = (30.0, 120.0)
SETS_PER_AREA = (1, 3)
REST_BETWEEN_SETS_S = 30.0
TRIGGER_POINT_HOLD_S = (15.0, 90.0)

# Mild cases: 2-3 sessions a week; chronic: daily self-massage (DOMAIN.md, dosing).
SESSIONS_PER_WEEK = {"mild": (2, 3), "chronic": (7, 7)}


def body_weight_n(mass_kg: float = REFERENCE_BODY_MASS_KG) -> float:
    """Body weight in newtons."""
    return mass_kg * GRAVITY_M_PER_S2


def rolling_force_n(mass_kg: float = REFERENCE_BODY_MASS_KG) -> float:
    """Typical mean rolling force for a body mass (Baumgart 2019): 70 kg gives about 227 N."""
    return ROLLING_MEAN_FRACTION_OF_BODY_WEIGHT * body_weight_n(mass_kg)


# A band by feel, for people without a therapist: studies set rolling force by perceived
# intensity (~4, 6 and 8 of 10, Grabow 2018, in DOMAIN.md), so the person presses at "firm but
# comfortable" (about 6/10) and at "strong but tolerable" (about 8/10) for a few seconds each, and
# the band runs between the two. A few seconds is enough for a steady median, short enough to hold.
FEEL_PRESS_S = 5.0
# The two presses must differ by this much (of the firmer one) to make a band worth following.
FEEL_MIN_SPREAD = 0.15
FEEL_LEVELS = {
    "comfortable": "firm but comfortable",
    "strong": "strong but tolerable",
}
