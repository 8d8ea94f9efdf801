"""An evaluation corpus for technique recognition, with variety the simulator's scripts lack.

The simulator's scripts move the ball as sine waves at one force per technique, so rules tuned on
them agree with them. A corpus case is one person doing one technique for one stretch, drawn
from wide ranges (DOMAIN.md's techniques and doses):

- force 20-400 N (a light seated foot to a standing one), log-uniform, and the person's working
  force from it by the technique's share of it (gentle release below it, deep tissue above);
- cadence across the technique's own range, drifting by up to 15 % within the case;
- strokes that are not sine waves (2nd and 3rd harmonics up to a third of the fundamental), of
  varying length, with force that varies along the stroke (the heel takes more than the arch);
- physiological tremor (8-12 Hz, 1-3 N or 1 % of the force), slow sway of the force and position;
- 10, 40 or 80 samples/s with jittered sample times, a stall (no samples for 0.5-3 s, with or
  without a sequence gap) in a third of the cases, a slow drift of a cell's zero;
- both layouts: a plate on four cells (position and force) and a single cell (force only).

Each case is raw counts with the calibration it was made with, so it goes through the whole
processing path (`pfsense.dsp.pipeline`) as a recording would. `Case.working_force_n` is the
person's own working force (as a rolling warm-up would show it); `Case.targets` the bands a
therapist could have set for this person, for the runs that use them.
"""

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from pfsense.calibration.model import Calibration
from pfsense.clinical.techniques import Technique
from pfsense.dsp import plate
from pfsense.sensors.batch import SEQ_MODULO, Batch
from pfsense.sensors.layout import Layout, make_layout
from pfsense.sim.motion import smooth_noise

RATES_HZ = (10.0, 40.0, 80.0)
FORCE_N = (20.0, 400.0)  # the work's own force, log-uniform
TREMOR_HZ = (8.0, 12.0)
TREMOR_N = (1.0, 3.0)
STALL_SHARE = 1 / 3

# Per technique: cadence (cycles/min), force as a multiple of the working force, duration (s).
# Cadences follow DOMAIN.md (rolling >= 15 cycles/min, deep tissue below, cross-fiber faster and
# shorter strokes than rolling); a guard of 1 cycle/min each side of 15 keeps the labels clean of
# the boundary itself. Trigger points are held 15-90 s (DOMAIN.md), myofascial release is gentle
# and sustained for a minute or more (pfsense asks 60-180 s, PROFILES).
CADENCE_PER_MIN = {
    Technique.ROLLING: (16.0, 40.0),
    Technique.DEEP_TISSUE: (3.0, 14.0),
    Technique.CROSS_FIBER_FRICTION: (30.0, 90.0),
    Technique.CALF_RELEASE: (10.0, 40.0),
}
FORCE_OF_WORKING = {
    Technique.ROLLING: (0.85, 1.15),
    Technique.DEEP_TISSUE: (1.1, 1.6),
    Technique.CROSS_FIBER_FRICTION: (0.8, 1.2),
    Technique.TRIGGER_POINT: (1.0, 1.5),
    Technique.MYOFASCIAL_RELEASE: (0.3, 0.65),
    Technique.CALF_RELEASE: (0.6, 1.1),
}
HOLD_S = (15.0, 90.0)  # each trigger-point hold
RELEASE_S = (60.0, 180.0)  # the myofascial release press
PERIODIC_S = (40.0, 100.0)  # a stroked technique's stretch of work


@dataclass(frozen=True)
class Case:
    """One generated stretch of work and how it was made."""

    technique: Technique
    layout: Layout
    rate_hz: float
    batch: Batch
    calibration: Calibration
    working_force_n: float
    cadence_per_min: float | None
    longest_hold_s: float | None

    @property
    def targets(self) -> dict[Technique, tuple[float, float]]:
        """Bands a therapist could have set for this person: each technique's force range."""
        return {
            technique: (low * self.working_force_n, high * self.working_force_n)
            for technique, (low, high) in FORCE_OF_WORKING.items()
        }


def corpus(layout: str, per_technique: int, seed: int = 0) -> Iterator[Case]:
    """`per_technique` cases of every technique on `layout`, in a fixed order for a seed."""
    rng = np.random.default_rng([seed, 0 if layout == "plate4" else 1])
    for index in range(per_technique):
        for technique in Technique:
            yield make_case(technique, layout, rng, RATES_HZ[index % len(RATES_HZ)])


def make_case(technique: Technique, layout: str, rng: np.random.Generator, rate_hz: float) -> Case:
    """One case of `technique` at `rate_hz`."""
    force_n = float(np.exp(rng.uniform(*np.log(FORCE_N))))
    working_n = force_n / rng.uniform(*FORCE_OF_WORKING[technique])
    if technique in CADENCE_PER_MIN:
        cadence = float(rng.uniform(*CADENCE_PER_MIN[technique]))
        duration_s = float(rng.uniform(*PERIODIC_S))
        t_s = sample_times(rng, duration_s, rate_hz)
        total_n, x_mm, y_mm = _periodic(technique, rng, t_s, force_n, cadence, layout)
        longest = None
    else:
        cadence = None
        t_s, total_n, x_mm, y_mm, longest = _still(technique, rng, rate_hz, force_n)
    total_n = total_n * _ramps(t_s) + _tremor(rng, t_s, force_n)
    chosen = make_layout(layout)
    batch, calibration = _counts(rng, chosen, t_s, total_n, x_mm, y_mm, rate_hz)
    return Case(technique, chosen, rate_hz, batch, calibration, working_n, cadence, longest)


def sample_times(rng: np.random.Generator, duration_s: float, rate_hz: float) -> np.ndarray:
    """A jittered grid (up to 30 % of a period either way, still increasing)."""
    n = int(duration_s * rate_hz)
    jitter = rng.uniform(-0.3, 0.3, n) * rng.uniform(0.0, 1.0)
    return (np.arange(n) + jitter) / rate_hz


def _phase(rng, t_s: np.ndarray, cadence_per_min: float) -> np.ndarray:
    """Stroke phase (radians) with the cadence wandering by up to 15 % over ~5 s."""
    drift = rng.uniform(0.0, 0.15) * np.tanh(smooth_noise(rng, len(t_s), 1 / _dt(t_s), 5.0))
    step_s = np.diff(t_s, prepend=t_s[0])
    return rng.uniform(0, 2 * np.pi) + 2 * np.pi * np.cumsum(
        cadence_per_min / 60 * (1 + drift) * step_s
    )


def _dt(t_s: np.ndarray) -> float:
    return float(np.median(np.diff(t_s))) if len(t_s) > 1 else 0.1


def _stroke_shape(rng, phase: np.ndarray) -> np.ndarray:
    """A stroke that is not a sine: harmonics up to a third of the fundamental, peak-normalised."""
    h2, h3 = rng.uniform(0.0, 0.33, 2)
    p2, p3 = rng.uniform(0, 2 * np.pi, 2)
    shape = np.sin(phase) + h2 * np.sin(2 * phase + p2) + h3 * np.sin(3 * phase + p3)
    return shape / np.max(np.abs(shape))


def _periodic(technique: Technique, rng, t_s, force_n: float, cadence: float, layout: str):
    """Force and ball position of a stroked or pulsing technique."""
    n = len(t_s)
    rate_hz = 1 / _dt(t_s)
    phase = _phase(rng, t_s, cadence)
    shape = _stroke_shape(rng, phase)
    sway = smooth_noise(rng, n, rate_hz, 3.0)
    if technique == Technique.CALF_RELEASE:
        # Kneading: the force pulses by 60-120 % of its mean, in pulses sharper than a sine,
        # while the ball (under the calf, whose weight stays on it) barely moves.
        swing = rng.uniform(0.6, 1.2)
        pulse = ((1 + shape) / 2) ** rng.uniform(1.0, 2.0)
        total = force_n * (1 + swing * (pulse - pulse.mean()) / np.ptp(pulse))
        x_mm = rng.uniform(-40, 40) + 4 * sway
        y_mm = rng.uniform(-60, 60) + 6 * smooth_noise(rng, n, rate_hz, 2.0)
        return np.maximum(total, 0.15 * force_n), x_mm, y_mm
    # Strokes: along the foot (y) for rolling and deep tissue, across (x) for friction.
    if technique == Technique.CROSS_FIBER_FRICTION:
        stroke_mm = rng.uniform(20, 40)
    else:
        stroke_mm = rng.uniform(50, 170)
    length = stroke_mm / 2 * (1 + 0.1 * smooth_noise(rng, n, rate_hz, 2.0))
    travel = length * shape
    # The force varies along the stroke (more on the heel than the arch), by 0-20 % here. A
    # single cell sees a stroke only as that change of force: its cases vary by 12-20 %.
    vary = rng.uniform(0.12 if layout == "single" else 0.0, 0.2)
    along = vary * np.sin(phase + rng.uniform(0, 2 * np.pi))
    total = force_n * (1 + along + 0.05 * sway)
    centre_y = rng.uniform(-60, 60)
    if technique == Technique.CROSS_FIBER_FRICTION:
        x_mm = rng.uniform(-30, 30) + travel
        y_mm = centre_y + 5 * smooth_noise(rng, n, rate_hz, 4.0)
    else:
        x_mm = rng.uniform(-30, 30) + 4 * smooth_noise(rng, n, rate_hz, 4.0)
        y_mm = centre_y + travel
    return total, x_mm, y_mm


def _still(technique: Technique, rng, rate_hz: float, force_n: float):
    """Holds: one to three trigger-point holds at their own spots with a short release between,
    or one long myofascial-release press gliding a little."""
    if technique == Technique.TRIGGER_POINT:
        holds_s = rng.uniform(*HOLD_S, int(rng.integers(1, 4)))
    else:
        holds_s = np.array([rng.uniform(*RELEASE_S)])
    pieces, start_s = [], 0.0
    for hold_s in holds_s:
        t_s = start_s + sample_times(rng, hold_s, rate_hz)
        n = len(t_s)
        breath = 0.05 * np.sin(2 * np.pi * rng.uniform(0.15, 0.3) * t_s)
        if technique == Technique.MYOFASCIAL_RELEASE:
            # With stretching: the force swells slowly (over 15 s or so); the foot glides up to
            # 20 mm.
            breath = breath + 0.1 * smooth_noise(rng, n, rate_hz, 15.0)
            glide = rng.uniform(-20, 20) * (t_s - t_s[0]) / max(hold_s, 1.0)
        else:
            glide = np.zeros(n)
        sway = smooth_noise(rng, n, rate_hz, 2.0)
        total = force_n * (1 + breath + 0.03 * sway) * _ramps(t_s)
        x_mm = rng.uniform(-50, 50) + 2 * sway + 0.5 * glide
        y_mm = rng.uniform(-120, 120) + 2 * smooth_noise(rng, n, rate_hz, 2.0) + glide
        pieces.append((t_s, total, x_mm, y_mm))
        release_s = rng.uniform(2.0, 6.0)
        t_gap = t_s[-1] + np.arange(1, int(release_s * rate_hz)) / rate_hz
        pieces.append((t_gap, np.zeros(len(t_gap)), np.zeros(len(t_gap)), np.zeros(len(t_gap))))
        start_s = t_s[-1] + release_s
    parts = [np.concatenate(column) for column in zip(*pieces, strict=True)]
    return (*parts, float(holds_s.max()))


def _ramps(t_s: np.ndarray) -> np.ndarray:
    """Putting the foot on and taking it off over about a second."""
    if not len(t_s):
        return np.ones(0)
    edge_s = np.minimum(t_s - t_s[0], t_s[-1] - t_s)
    return np.clip(edge_s / 0.8, 0.0, 1.0)


def _tremor(rng, t_s: np.ndarray, force_n: float) -> np.ndarray:
    amplitude_n = max(rng.uniform(*TREMOR_N), 0.01 * force_n)
    hz = rng.uniform(*TREMOR_HZ)
    wobble = 1 + 0.3 * smooth_noise(rng, len(t_s), 1 / _dt(t_s), 1.0)
    return amplitude_n * wobble * np.sin(2 * np.pi * hz * t_s + rng.uniform(0, 2 * np.pi))


def _counts(rng, layout: Layout, t_s, total_n, x_mm, y_mm, rate_hz: float):
    """Raw counts of each cell, the calibration they were made with, a drift and maybe a stall."""
    channels = len(layout.channels)
    if layout.is_plate:
        x_mm = np.clip(x_mm, -0.45 * layout.plate_width_mm, 0.45 * layout.plate_width_mm)
        y_mm = np.clip(y_mm, -0.45 * layout.plate_length_mm, 0.45 * layout.plate_length_mm)
        cells_n = plate.corner_forces_n(
            total_n, x_mm, y_mm, layout.plate_width_mm, layout.plate_length_mm
        )
    else:
        cells_n = total_n[:, None]
    drift_n = rng.uniform(-1.0, 1.0, channels) * (t_s - t_s[0])[:, None] / max(t_s[-1], 1.0)
    cells_n = cells_n + drift_n + rng.normal(0.0, 0.02, cells_n.shape)
    calibration = Calibration(
        tuple(rng.uniform(-60_000, 60_000, channels).round()),
        tuple(4380.0 * rng.uniform(0.9, 1.1, channels) * rng.choice([-1, 1], channels)),
        "corpus",
    )
    counts = calibration.counts(cells_n).astype(np.int32)
    seq = np.arange(len(t_s))
    if rng.uniform() < STALL_SHARE and len(t_s) > 4 * rate_hz:
        start = int(rng.integers(len(t_s) // 4, 3 * len(t_s) // 4))
        lost = int(rng.uniform(0.5, 3.0) * rate_hz)
        keep = np.r_[0:start, start + lost : len(t_s)]
        t_s, counts = t_s[keep], counts[keep]
        seq = seq[keep] if rng.uniform() < 0.5 else np.arange(len(keep))
    batch = Batch(
        t_s=t_s,
        acquired_at=1.7e9 + t_s,
        seq=(seq % SEQ_MODULO).astype(np.uint16),
        counts=counts,
        flags=np.zeros(counts.shape, np.uint8),
    )
    return batch, calibration
