"""Which technique a stretch of data looks like, how well it was done (0..100), and one or two
things to do about it. Works on a feature summary (pfsense.dsp.features.FeatureTracker.summary).

pfsense gives feedback on technique; it does not diagnose or treat.
"""

from pfsense.clinical.doses import AREA_DURATION_S
from pfsense.clinical.techniques import PROFILES, Technique
from pfsense.dsp.holds import HOLD_MIN_S

SLOW_CADENCE_PER_MIN = 15.0  # DOMAIN.md: rolling >= 15 cycles/min, deep tissue below
HOLD_SHARE = 0.5  # half the loaded time held still makes it a hold technique
SQUEEZE_SWING = 0.5  # force swinging by half its mean each cycle: kneading, not rolling
SQUEEZE_MAX_STROKE_MM = 60.0
MIN_LOADED_S = 3.0
MIN_CYCLES = 2  # a rhythm needs a couple of full cycles before it is named
WEIGHTS = {"pressure": 0.4, "rhythm": 0.3, "coverage": 0.3}
ZONE_DOSE_S = AREA_DURATION_S[0]  # DOMAIN.md: 30-120 s per area; 30 s covers it
STEADY_REGULARITY = 0.6  # below it the cycles vary enough to be told (pfsense.dsp.rhythm)


def classify(summary: dict) -> Technique | None:
    """The technique the data looks like; None with too little loaded time to say."""
    loaded_s = summary["loaded_s"] or 0.0
    mean_n = summary["force_n"]["mean"]
    if loaded_s < MIN_LOADED_S or mean_n is None:
        return None
    low, high = summary["target_band_n"]
    held_s = sum(hold["duration_s"] for hold in summary["holds"])
    direction, cadence = summary["stroke_direction"], summary["cadence_per_min"]
    still = Technique.TRIGGER_POINT if mean_n >= low else Technique.MYOFASCIAL_RELEASE
    if held_s >= HOLD_SHARE * loaded_s:
        return still
    if summary["cycles"] < MIN_CYCLES:
        # No rhythm yet: still for long enough is a hold; before that, too soon to tell.
        return still if loaded_s >= HOLD_MIN_S else None
    swing, stroke = summary["force_swing_fraction"], summary["stroke_length_mm"]
    if (
        swing is not None
        and swing >= SQUEEZE_SWING
        and (stroke is None or stroke < SQUEEZE_MAX_STROKE_MM)
    ):
        return Technique.CALF_RELEASE
    if direction == "across":
        return Technique.CROSS_FIBER_FRICTION
    if cadence is None or direction == "none":
        return still
    if cadence < SLOW_CADENCE_PER_MIN and mean_n >= (low + high) / 2:
        return Technique.DEEP_TISSUE
    return Technique.ROLLING


def score(
    summary: dict, technique: Technique | None, cadence_per_min: tuple[float, float] | None = None
) -> dict:
    """Sub-scores 0..100 (None where they cannot be measured) and their weighted total.
    `cadence_per_min`: a therapist's range for this patient instead of the technique's own."""
    parts = {
        "pressure": _pressure(summary),
        "rhythm": _rhythm(summary, technique, cadence_per_min),
        "coverage": None if technique == Technique.CALF_RELEASE else _coverage(summary),
    }
    present = {name: value for name, value in parts.items() if value is not None}
    total = (
        sum(WEIGHTS[n] * v for n, v in present.items()) / sum(WEIGHTS[n] for n in present)
        if present
        else None
    )
    return {"total": _round(total), **{name: _round(value) for name, value in parts.items()}}


def _pressure(summary: dict) -> float | None:
    within, above = summary["time_in_band_fraction"], summary["time_above_band_fraction"]
    if within is None:
        return None
    return max(0.0, min(100.0, 100.0 * (within - 0.5 * above)))  # too hard costs more than too soft


def _rhythm(
    summary: dict, technique: Technique | None, cadence_range: tuple[float, float] | None
) -> float | None:
    if technique is None:
        return None
    profile = PROFILES[technique]
    if profile.cadence_per_min is None:
        held_s = sum(hold["duration_s"] for hold in summary["holds"])
        return 100.0 * min(1.0, held_s / summary["loaded_s"]) if summary["loaded_s"] else None
    cadence, regularity = summary["cadence_per_min"], summary["rhythm_regularity"]
    if cadence is None:
        return 0.0
    low, high = cadence_range or profile.cadence_per_min
    off = max(low - cadence, cadence - high, 0.0)
    pace = max(0.0, 1.0 - off / (0.5 * low))
    steadiness = 0.5 + 0.5 * (regularity if regularity is not None else 0.5)
    return 100.0 * pace * steadiness


def _coverage(summary: dict) -> float | None:
    coverage = summary["coverage"]
    if coverage["fraction"] is None:
        return None
    asked = _asked_zones(coverage)
    if not asked:
        return None
    zones_s = coverage["zones_s"]
    return 100.0 * sum(min(1.0, zones_s[zone] / ZONE_DOSE_S) for zone in asked) / len(asked)


def _asked_zones(coverage: dict) -> list[str]:
    """The zones coverage is judged on: those asked for (all three by default)."""
    return coverage.get("asked_zones", list(coverage["zones_s"]))


def coaching(
    summary: dict, technique: Technique | None, cadence_per_min: tuple[float, float] | None = None
) -> list[str]:
    """At most two short things to do, the most important first; over-pressure always first."""
    tips = []
    if (summary["time_above_band_fraction"] or 0.0) > 0.1:
        tips.append("ease off: too hard")
    elif (summary["time_below_band_fraction"] or 0.0) > 0.3:
        tips.append("press a little harder")
    profile = PROFILES.get(technique) if technique else None
    cadence = summary["recent_cadence_per_min"] or summary["cadence_per_min"]
    if profile and profile.cadence_per_min and cadence:
        low, high = cadence_per_min or profile.cadence_per_min
        if cadence > high:
            tips.append("slow down")
        elif cadence < low:
            tips.append("a little faster")
        elif _irregular(summary["rhythm_regularity"]):
            tips.append("keep a steady rhythm")
    if technique != Technique.CALF_RELEASE and summary["coverage"]["fraction"] is not None:
        coverage = summary["coverage"]
        missing = [
            zone
            for zone in _asked_zones(coverage)
            if coverage["zones_s"][zone] < ZONE_DOSE_S and zone != coverage.get("zone_now")
        ]  # the zone being worked is being covered: telling the person it is not would be wrong
        if missing:
            tips.append(f"{missing[0]} not covered yet")
    return tips[:2] or ["good technique: keep going"]


def _irregular(regularity: float | None) -> bool:
    """Below STEADY_REGULARITY; 0.0, the least regular, included (None: not measured)."""
    return regularity is not None and regularity < STEADY_REGULARITY


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
