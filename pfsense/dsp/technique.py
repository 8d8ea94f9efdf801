"""Which technique a stretch of data looks like, how well it was done (0..100), and one or two
things to do about it. Works on a feature summary (pfsense.dsp.features.FeatureTracker.summary).

pfsense gives feedback on technique; it does not diagnose or treat.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from pfsense.clinical.doses import AREA_DURATION_S, SLOW_CADENCE_PER_MIN, TRIGGER_POINT_HOLD_S
from pfsense.clinical.techniques import PROFILES, Technique
from pfsense.dsp.holds import HOLD_MIN_S, HOLD_RADIUS_MM

# Recognition: motion and duration first, force only against the person's own (ForceReference).
HOLD_SHARE = 0.5  # half the loaded time held still makes it a hold technique
MIN_LOADED_S = 3.0
MIN_CYCLES = 2  # a rhythm needs a couple of full cycles before it is named
# DOMAIN.md: tender spots are held 15-90 s; myofascial release is gentle and long, and pfsense
# asks a minute or more of it (PROFILES). A still press between the two could be either.
TRIGGER_POINT_MAX_S = TRIGGER_POINT_HOLD_S[1]
RELEASE_MIN_S = PROFILES[Technique.MYOFASCIAL_RELEASE].duration_s[0]
# A single cell sees strokes only as force: a held press swells with the breath by 10-20 % of
# its force, a stroke along the sole changes it by 25-40 %. A slow cycle larger than this, too
# slow to end a hold (slower than one per HOLD_MIN_S), could be either.
SWELL_MAX = 0.25
PRESS_GAP_S = 1.0  # shorter than letting go and pressing again (a second or more off the ball)
# "Gentle" and "high" are the person's own: below GENTLE_OF_WORKING of their working force is
# gentle (myofascial release, DOMAIN.md "low-moderate"); from FIRM_OF_WORKING up it is the
# moderate-high force of a trigger point or deep tissue. In between pfsense does not guess.
GENTLE_OF_WORKING = 0.75
FIRM_OF_WORKING = 0.9

WEIGHTS = {"pressure": 0.4, "rhythm": 0.3, "coverage": 0.3}
ZONE_DOSE_S = AREA_DURATION_S[0]  # DOMAIN.md: 30-120 s per area; 30 s covers it
STEADY_REGULARITY = 0.6  # below it the cycles vary enough to be told (pfsense.dsp.rhythm)


@dataclass(frozen=True)
class ForceReference:
    """What force is judged against: the person's own, never one band shared by all techniques.
    `working_force_n`: the force this person works at (the centre of their own rolling band, as
    a therapist demonstrated it); `bands_n`: a therapist's band per technique, where set."""

    working_force_n: float | None = None
    bands_n: Mapping[Technique, tuple[float, float]] = field(default_factory=dict)

    @property
    def working_n(self) -> float | None:
        """The working force given, else the middle of the patient's own rolling band (None for a
        band that is no force at all)."""
        if self.working_force_n:
            return self.working_force_n
        band = self.bands_n.get(Technique.ROLLING)
        if band is None:
            return None
        low, high = sorted(band)
        return (low + high) / 2 if high > 0 else None


@dataclass(frozen=True)
class Detection:
    """The technique the data looks like (None: cannot tell) and, in a few words, why."""

    technique: Technique | None
    why: str


def classify(summary: dict, reference: ForceReference | None = None) -> Technique | None:
    """The technique the data looks like; None when there is too little or it is ambiguous."""
    return detect(summary, reference).technique


def detect(summary: dict, reference: ForceReference | None = None) -> Detection:
    """Motion first (along, across, held still, pulsing force with little travel), then cadence
    against DOMAIN.md's ranges and hold duration; force only relative to `reference`."""
    reference = reference or ForceReference()
    loaded_s = summary["loaded_s"] or 0.0
    if loaded_s < MIN_LOADED_S or summary["force_n"]["mean"] is None:
        return Detection(None, "too little contact yet")
    holds = summary["holds"]
    if sum(hold["duration_s"] for hold in holds) >= HOLD_SHARE * loaded_s:
        swing = summary["force_swing_fraction"]
        if summary["stroke_direction"] is None and swing is not None and swing > SWELL_MAX:
            # One cell: slow strokes or a swelling press. A gentle one is a press (myofascial
            # release is gentle); a firm one strokes (deep tissue is slow and deep).
            relative = _relative(summary["force_n"]["mean"], reference)
            if relative == "firm":
                return Detection(Technique.DEEP_TISSUE, "slow, firm swings of the force")
            if relative is None:
                return Detection(
                    None,
                    "a press that swells, or strokes slower than 6 a minute: one cell "
                    "cannot tell which",
                )
        # Live, a press still going on is as long as the session has seen it (`presses`).
        presses = _presses(summary.get("presses") or holds)
        return _still(presses, reference)
    cadence = summary["cadence_per_min"]
    if summary["cycles"] < MIN_CYCLES or cadence is None:
        if loaded_s >= HOLD_MIN_S:
            return Detection(None, "neither a rhythm nor a hold yet")
        return Detection(None, "too soon to tell")
    if summary.get("pulsing"):
        return Detection(Technique.CALF_RELEASE, f"force pulsing {cadence:.0f} times a minute")
    direction = summary["stroke_direction"]
    if direction == "across":
        return Detection(Technique.CROSS_FIBER_FRICTION, "strokes across the foot")
    if direction == "none":
        return Detection(None, "moving, but less than a stroke")
    where = "along the foot" if direction == "along" else "(direction unseen on one cell)"
    if cadence >= SLOW_CADENCE_PER_MIN:
        return Detection(Technique.ROLLING, f"{cadence:.0f} strokes a minute {where}")
    if _relative(summary["force_n"]["mean"], reference) == "gentle":
        return Detection(Technique.ROLLING, f"slow, gentle strokes {where}")
    return Detection(Technique.DEEP_TISSUE, f"{cadence:.0f} slow strokes a minute {where}")


def _presses(holds: list[dict]) -> list[dict]:
    """Holds joined where one begins as the last ends (within PRESS_GAP_S) at the same spot: a
    swell of the force that broke a hold without letting go is still one press; moving on to
    the next tender spot without lifting the foot is another hold."""
    presses: list[dict] = []
    for hold in holds:
        last = presses[-1] if presses else None
        if (
            last is not None
            and hold["start_s"] - (last["start_s"] + last["duration_s"]) < PRESS_GAP_S
            and _same_spot(last, hold)
        ):
            total_s = last["duration_s"] + hold["duration_s"]
            force_n = (
                last["mean_force_n"] * last["duration_s"]
                + hold["mean_force_n"] * hold["duration_s"]
            ) / total_s
            end_s = hold["start_s"] + hold["duration_s"]
            presses[-1] = {**last, "duration_s": end_s - last["start_s"], "mean_force_n": force_n}
        else:
            presses.append(hold)
    return presses


def _same_spot(one: dict, other: dict) -> bool:
    """Within HOLD_RADIUS_MM on a plate; a single cell cannot tell spots apart."""
    if one.get("x_mm") is None or other.get("x_mm") is None:
        return True
    distance_mm = math.hypot(one["x_mm"] - other["x_mm"], one["y_mm"] - other["y_mm"])
    return distance_mm <= HOLD_RADIUS_MM


def _still(presses: list[dict], reference: ForceReference) -> Detection:
    """Held still: by how long the longest press lasts; in the range where both fit, by the
    person's force, else by whether the presses repeat (spot after spot, each 15-90 s, is how
    DOMAIN.md describes trigger points; a release is one long press)."""
    hold = max(presses, key=lambda press: press["duration_s"])
    held_s, force_n = hold["duration_s"], hold["mean_force_n"]
    if held_s > TRIGGER_POINT_MAX_S:
        return Detection(Technique.MYOFASCIAL_RELEASE, f"a long still press, {held_s:.0f} s")
    nearer = _nearer_band(force_n, reference, Technique.TRIGGER_POINT, Technique.MYOFASCIAL_RELEASE)
    if nearer is not None:
        return Detection(nearer, f"held {held_s:.0f} s at the force of the patient's {nearer}")
    relative = _relative(force_n, reference)
    if relative == "gentle":  # a trigger point is moderate-high force (DOMAIN.md)
        return Detection(Technique.MYOFASCIAL_RELEASE, f"held {held_s:.0f} s, gently")
    if held_s < RELEASE_MIN_S:
        return Detection(Technique.TRIGGER_POINT, f"held still for {held_s:.0f} s")
    if relative == "firm":
        return Detection(Technique.TRIGGER_POINT, f"held {held_s:.0f} s, firmly")
    if len(presses) > 1:
        return Detection(Technique.TRIGGER_POINT, f"{len(presses)} holds, up to {held_s:.0f} s")
    return Detection(
        None,
        f"held {held_s:.0f} s, which fits a trigger point or myofascial release; the person's "
        "own force tells them apart (their targets, or a rolling segment before)",
    )


def _relative(force_n: float, reference: ForceReference) -> str | None:
    """ "gentle", "firm" or None (in between, or nothing to judge against)."""
    working_n = reference.working_n
    if not working_n:
        return None
    if force_n < GENTLE_OF_WORKING * working_n:
        return "gentle"
    return "firm" if force_n >= FIRM_OF_WORKING * working_n else None


def _nearer_band(force_n: float, reference: ForceReference, *techniques: Technique):
    """Of techniques whose band the therapist set, the one whose band the force is nearer to
    (by ratio: 20 N off a 40 N band is far, off a 300 N band near); None unless both are set."""
    bands = [reference.bands_n.get(technique) for technique in techniques]
    if any(band is None for band in bands):
        return None
    distances = [_ratio_off(force_n, band) for band in bands]
    if distances[0] == distances[1]:
        return None
    return techniques[distances.index(min(distances))]


def _ratio_off(force_n: float, band: tuple[float, float]) -> float:
    low, high = max(band[0], 1e-6), max(band[1], 1e-6)
    force_n = max(force_n, 1e-6)
    return max(math.log(low / force_n), math.log(force_n / high), 0.0)


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
    """At most two short remarks on the window, the most important first; over-pressure always
    first. They describe the past (the live page labels them "over the last 30 s"): orders
    about the force now are the force panel's alone, so the two never contradict."""
    tips = []
    if (summary["time_above_band_fraction"] or 0.0) > 0.1:
        tips.append("too hard too often")
    elif (summary["time_below_band_fraction"] or 0.0) > 0.3:
        tips.append("too light too often")
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
            if coverage["zones_s"][zone] < ZONE_DOSE_S and zone not in _zones_now(coverage)
        ]  # the zones being worked are being covered: telling the person they are not is wrong
        if missing:
            tips.append(f"{missing[0]} not covered yet")
    return tips[:2] or ["good technique"]


def _zones_now(coverage: dict) -> set[str]:
    """The zones the last stroke worked (and the zone of the last sample)."""
    return {*coverage.get("zones_now", ()), coverage.get("zone_now")}


def _irregular(regularity: float | None) -> bool:
    """Below STEADY_REGULARITY; 0.0, the least regular, included (None: not measured)."""
    return regularity is not None and regularity < STEADY_REGULARITY


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
