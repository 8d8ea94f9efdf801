"""A foot working a ball: force and ball position over time for one script segment.

Human variability comes from a seeded generator: the cadence drifts, the force wobbles, strokes vary
in length and the person pauses now and then. Everything is generated as whole numpy arrays.
"""

from dataclasses import dataclass

import numpy as np

from pfsense.clinical import foot
from pfsense.clinical.techniques import TECHNIQUE_CODES, ZONE_CODES, Zone
from pfsense.columns import Columns
from pfsense.sim.script import MOTIONS, Segment

RAMP_S = 0.8  # putting the foot on the ball, and lifting it off, take most of a second


@dataclass(frozen=True)
class Variability:
    """How unsteady the simulated person is. All zero gives a metronome-perfect foot."""

    cadence_drift: float = 0.08  # relative SD of the cadence, wandering over ~5 s
    force_wobble: float = 0.06  # relative SD of the force, wandering over ~0.7 s
    stroke_wobble: float = 0.10  # relative SD of the stroke length
    pauses_per_min: float = 0.6  # short stops in the motion, force kept on
    pause_s: tuple[float, float] = (1.0, 3.0)


@dataclass(frozen=True, eq=False)
class FootTruth(Columns):
    """What the foot does at each sample."""

    force_n: np.ndarray  # total force from the foot on the ball
    x_mm: np.ndarray  # ball position on the plate
    y_mm: np.ndarray
    sole_mm: np.ndarray  # contact point on the sole from the heel; NaN off the sole (calf, rest)
    technique_code: np.ndarray  # techniques.TECHNIQUE_CODES, 0 = rest
    zone_code: np.ndarray  # techniques.ZONE_CODES, 0 = none
    cadence_per_min: np.ndarray  # instantaneous cycles a minute of the stroke; 0 paused or still


def smooth_noise(rng: np.random.Generator, n: int, rate_hz: float, tau_s: float) -> np.ndarray:
    """Zero-mean, unit-SD noise that wanders on a time scale of about `tau_s`.

    Random knots every tau_s, joined by raised-cosine steps: smooth and cheap to vectorise.
    """
    t = np.arange(n) / (rate_hz * tau_s)
    knots = rng.standard_normal(int(t[-1]) + 2 if n else 1)
    index = np.floor(t).astype(int)
    frac = t - index
    weight = (1.0 - np.cos(np.pi * frac)) / 2.0
    # A raised-cosine join loses a little variance between knots; 1/sqrt(0.75) restores unit SD.
    return (
        knots[index] * (1.0 - weight) + knots[np.minimum(index + 1, len(knots) - 1)] * weight
    ) / np.sqrt(0.75)


def pause_gate(rng: np.random.Generator, n: int, rate_hz: float, var: Variability) -> np.ndarray:
    """1 while moving, 0 while paused, with 0.3 s ramps in between."""
    gate = np.ones(n)
    duration_s = n / rate_hz
    count = rng.poisson(var.pauses_per_min * duration_s / 60.0)
    for _ in range(count):
        start = rng.uniform(2.0, max(2.0, duration_s - 2.0))
        length = rng.uniform(*var.pause_s)
        t = np.arange(n) / rate_hz
        ramp = np.clip(np.minimum(t - start, start + length - t) / 0.3, 0.0, 1.0)
        gate = np.minimum(gate, 1.0 - ramp)
    return gate


def envelope(n: int, rate_hz: float) -> np.ndarray:
    """Raised-cosine ramps on and off at the ends of a segment."""
    t = np.arange(n) / rate_hz
    edge_s = np.minimum(t, (n - 1) / rate_hz - t)
    return np.where(
        edge_s >= RAMP_S, 1.0, (1.0 - np.cos(np.pi * np.clip(edge_s, 0, RAMP_S) / RAMP_S)) / 2.0
    )


def segment_motion(
    segment: Segment,
    rate_hz: float,
    rng: np.random.Generator,
    var: Variability,
    foot_mm: float = foot.DEFAULT_FOOT_MM,
) -> FootTruth:
    """Truth arrays for a resolved segment, sampled at `rate_hz`."""
    n = max(1, round(segment.duration_s * rate_hz))
    if segment.is_weight:
        # A dead weight: constant, exactly where it was put, no person attached.
        full = np.full(n, float(segment.force_n))
        none = np.zeros(n, np.uint8)
        return FootTruth(full, np.full(n, segment.x_mm), np.full(n, segment.y_mm),
                         np.full(n, np.nan), none, none, np.zeros(n))  # fmt: skip
    if segment.is_rest:
        zeros = np.zeros(n)
        nan = np.full(n, np.nan)
        none = np.zeros(n, np.uint8)
        return FootTruth(zeros, zeros, zeros, nan, none, none, zeros)
    motion = MOTIONS[segment.technique]
    gate = pause_gate(rng, n, rate_hz, var)
    cycles_per_s = (
        segment.cadence_per_min
        / 60.0
        * (1.0 + var.cadence_drift * np.tanh(smooth_noise(rng, n, rate_hz, 5.0)))
    )
    phase = 2.0 * np.pi * np.cumsum(cycles_per_s * gate) / rate_hz
    stroke_mm = segment.stroke_mm * (
        1.0 + var.stroke_wobble * np.tanh(smooth_noise(rng, n, rate_hz, 2.0))
    )
    travel_mm = stroke_mm / 2.0 * np.sin(phase)
    wander_mm = 3.0 * smooth_noise(rng, n, rate_hz, 4.0)  # the foot never sits perfectly still
    x_mm, y_mm = _position(segment.zone, motion.axis, travel_mm, wander_mm, foot_mm)
    force_n = (
        segment.force_n
        * envelope(n, rate_hz)
        * _modulation(segment.technique.value, phase, gate, n, rate_hz)
    )
    force_n *= 1.0 + var.force_wobble * np.tanh(smooth_noise(rng, n, rate_hz, 0.7))
    sole_mm = (
        np.full(n, np.nan)
        if segment.zone == Zone.CALF
        else foot.sole_mm_from_plate_y(y_mm, foot_mm)
    )
    zone_code = _zone_codes(segment.zone, sole_mm, foot_mm, n)
    technique_code = np.full(n, TECHNIQUE_CODES[segment.technique], np.uint8)
    cadence_per_min = cycles_per_s * 60.0 * (gate > 0.5)
    return FootTruth(force_n, x_mm, y_mm, sole_mm, technique_code, zone_code, cadence_per_min)


def _position(zone: Zone, axis: str, travel_mm, wander_mm, foot_mm: float):
    centre_y_mm = (
        0.0
        if zone == Zone.CALF
        else float(foot.plate_y_from_sole_mm(foot.zone_centre_sole_mm(zone, foot_mm), foot_mm))
    )
    if axis == "across":
        return travel_mm + wander_mm, centre_y_mm + wander_mm * 0.5
    if axis == "along":
        return wander_mm, centre_y_mm + travel_mm
    return wander_mm, centre_y_mm + wander_mm * 0.5


def _modulation(technique: str, phase, gate, n: int, rate_hz: float) -> np.ndarray:
    """How force varies within a stroke, as a factor around 1."""
    moving = 0.7 + 0.3 * gate  # pausing people ease off a little
    if technique == "calf_release":
        return moving * (0.65 + 0.35 * np.sin(phase))  # periodic compression: kneading
    if technique == "cross_fiber_friction":
        return moving * (1.0 + 0.10 * np.sin(2.0 * phase))
    if technique in ("rolling", "deep_tissue"):
        return moving * (1.0 + 0.12 * np.cos(phase))  # pushing a little harder rolling forward
    t = np.arange(n) / rate_hz
    if technique == "trigger_point":
        return np.clip(t / 3.0, 0.0, 1.0) * (1.0 + 0.03 * t / max(t[-1], 1.0))  # press in, lean in
    return 1.0 + 0.08 * np.sin(2.0 * np.pi * t / 20.0)  # myofascial: slow, with the breath


def _zone_codes(zone: Zone, sole_mm, foot_mm: float, n: int) -> np.ndarray:
    if zone == Zone.CALF:
        return np.full(n, ZONE_CODES[Zone.CALF], np.uint8)
    return foot.zone_codes_for_sole_mm(sole_mm, foot_mm)
