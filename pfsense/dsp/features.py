"""Session features, updated batch by batch in bounded memory: force, rhythm, stroke, holds and
coverage. A whole recording fed at once gives the same numbers as the same rows fed live."""

from dataclasses import dataclass, replace

import numpy as np

from pfsense.clinical import doses, foot
from pfsense.clinical.techniques import Zone
from pfsense.dsp.blocks import Blocks
from pfsense.dsp.coverage import SOLE_ZONES, Coverage
from pfsense.dsp.force_stats import CONTACT_N, FORCE_MAX_N, ForceStats
from pfsense.dsp.holds import HOLD_MIN_S, HoldTracker
from pfsense.dsp.rhythm import Oscillation

POSITION_HYSTERESIS_MM = 6.0  # twice the foot's idle wander (~3 mm), a third of the shortest stroke
FORCE_HYSTERESIS_N = 1.5
FORCE_HYSTERESIS_FRACTION = 0.045
DIRECTION_RATIO = 2.0  # one axis must carry twice the other's motion energy to name a direction
STILL_RMS_MM = 5.0  # less motion than this is no stroke at all
HOLD_SWING_FRACTION = 0.2  # single cell: rolling swings the force by ~25-40 %, a held press ~10 %
# Plate: a force swing this large ends a hold even where the ball stays put. A held press swells
# with the breath by ~10 % of its force; kneading pulses it by more than half (DOMAIN.md, calf
# release: "periodic force").
PULSE_SWING_FRACTION = 0.3
# Kneading: force pulsing by more than half its mean (DOMAIN.md: calf release, periodic force)
# while the ball travels less than a rolling stroke along the sole (the simulator's calf moves
# it 40 mm; rolling strokes are 50 mm and more, and change the force by less than half).
PULSE_FRACTION = 0.5
PULSE_MAX_TRAVEL_MM = 60.0

__all__ = ["SOLE_ZONES", "FeatureConfig", "FeatureTracker"]


@dataclass(frozen=True)
class FeatureConfig:
    """What the features are measured against."""

    rate_hz: float
    is_plate: bool
    target_band_n: tuple[float, float] = doses.DEFAULT_TARGET_BAND_N
    foot_mm: float = foot.DEFAULT_FOOT_MM
    asked_zones: tuple[Zone, ...] = SOLE_ZONES

    @classmethod
    def with_defaults(
        cls,
        rate_hz: float,
        is_plate: bool,
        target_band_n: tuple[float, float] | None = None,
        foot_mm: float | None = None,
    ) -> "FeatureConfig":
        """A config where None means the default (the DOMAIN.md band, a reference foot)."""
        config = cls(rate_hz, is_plate)
        return replace(
            config,
            target_band_n=target_band_n or config.target_band_n,
            foot_mm=foot_mm or config.foot_mm,
        )


class FeatureTracker:
    """Feed `add`: total force per sample, and the summaries of the blocks they complete."""

    def __init__(self, config: FeatureConfig) -> None:
        self.config = config
        self.block_s = 0.0
        self.force = ForceStats(config.target_band_n)
        self.holds = HoldTracker(config.is_plate)
        self.coverage = Coverage(
            config.is_plate, config.target_band_n, config.foot_mm, config.asked_zones
        )
        self.loaded_s = 0.0
        self.duration_s = 0.0
        self._osc: dict[str, Oscillation] = {}
        self._first_t_s: float | None = None

    @property
    def zone(self) -> Zone | None:
        """Single cell: the zone a routine says is being worked (coverage credits it)."""
        return self.coverage.zone

    @zone.setter
    def zone(self, zone: Zone | None) -> None:
        self.coverage.zone = zone

    def add(self, t_s: np.ndarray, force_n: np.ndarray, blocks: Blocks | None, block_s: float):
        """Samples (total force) and the summaries of the blocks they complete, if any."""
        self.add_samples(t_s, force_n)
        if blocks is not None and len(blocks):
            self.add_blocks(blocks, block_s)

    def add_samples(self, t_s: np.ndarray, force_n: np.ndarray) -> None:
        if len(t_s):
            self.note_times(float(t_s[0]), float(t_s[-1]))
        self.force.add(force_n)

    def note_times(self, first_t_s: float, last_t_s: float) -> None:
        self._first_t_s = first_t_s if self._first_t_s is None else self._first_t_s
        self.duration_s = last_t_s - self._first_t_s

    def add_blocks(self, blocks: Blocks, block_s: float) -> None:
        if not self._osc:
            self._start_oscillations(block_s)
        loaded = blocks.force_n >= CONTACT_N  # NaN compares False
        self.loaded_s += block_s * int(np.count_nonzero(loaded))
        self.coverage.add_blocks(blocks, loaded, block_s)
        # The sequential part runs on plain floats: far quicker than numpy scalars, one at a time.
        names = (
            "t_s",
            "force_n",
            "force_max_n",
            "x_mm",
            "x_min_mm",
            "x_max_mm",
            "y_mm",
            "y_min_mm",
            "y_max_mm",
        )
        self._blocks(loaded.tolist(), *(getattr(blocks, name).tolist() for name in names))

    def _blocks(self, loaded, t_s, force_n, force_max_n, x, x_min, x_max, y, y_min, y_max) -> None:
        """Rhythm for every oscillation, then holds block by block."""
        # A cycle's force swing is of block means: a block's highest sample adds the tremor
        # (8-12 Hz, 1-3 N), which on a light press would pass for a stroke.
        swings_force = self._osc["force"].feed_many(t_s, force_n, force_n, force_n, loaded)
        if self.config.is_plate:
            swings_x = self._osc["x"].feed_many(t_s, x, x_min, x_max, loaded)
            swings_y = self._osc["y"].feed_many(t_s, y, y_min, y_max, loaded)
            # A stroke moves the ball; kneading the calf pulses the force while it barely moves.
            strokes = [
                a == a or b == b or (f == f and f >= PULSE_SWING_FRACTION * force)  # not NaN
                for a, b, f, force in zip(swings_x, swings_y, swings_force, force_n, strict=True)
            ]
        else:
            # A steady press wobbles: on a single cell only a swing of a real squeeze or stroke,
            # HOLD_SWING_FRACTION of the force or more, counts.
            strokes = [
                swing == swing and swing >= HOLD_SWING_FRACTION * force
                for swing, force in zip(swings_force, force_n, strict=True)
            ]
        for i, on in enumerate(loaded):
            if on:
                self.holds.track(t_s[i], self.block_s, force_n[i], x[i], y[i], strokes[i])
            else:
                self.holds.end()

    def _start_oscillations(self, block_s: float) -> None:
        self.block_s = block_s
        self._osc["force"] = Oscillation(
            block_s, FORCE_HYSTERESIS_N, FORCE_HYSTERESIS_FRACTION, p2p_max=FORCE_MAX_N
        )
        if self.config.is_plate:
            self._osc["x"] = Oscillation(block_s, POSITION_HYSTERESIS_MM)
            self._osc["y"] = Oscillation(block_s, POSITION_HYSTERESIS_MM)
        for osc in self._osc.values():
            osc.fast_s = HOLD_MIN_S

    # What it all adds up to.

    def stroke_direction(self) -> str | None:
        if not self.config.is_plate:
            return None
        if not self._osc:
            return "none"
        x_rms, y_rms = self._osc["x"].rms(), self._osc["y"].rms()
        if max(x_rms, y_rms) < STILL_RMS_MM:
            return "none"
        if y_rms**2 >= DIRECTION_RATIO * x_rms**2:
            return "along"
        if x_rms**2 >= DIRECTION_RATIO * y_rms**2:
            return "across"
        return "along" if y_rms >= x_rms else "across"

    def motion(self) -> Oscillation | None:
        """The oscillation that carries the rhythm: the dominant axis on a plate, unless the
        force pulses while the ball barely travels (kneading the calf); else force."""
        if not self._osc:
            return None
        direction = self.stroke_direction()
        if direction in ("along", "across") and not self.pulsing():
            return self._osc["y" if direction == "along" else "x"]
        return self._osc["force"]

    def pulsing(self) -> bool:
        """The force swings by PULSE_FRACTION of its mean or more each cycle while the ball
        travels less than PULSE_MAX_TRAVEL_MM: DOMAIN.md's calf release, "periodic force"."""
        swing = self.force_oscillation_fraction()
        if swing is None or swing < PULSE_FRACTION:
            return False
        travel = self._position_stroke_mm()
        return travel is None or travel < PULSE_MAX_TRAVEL_MM

    def _position_stroke_mm(self) -> float | None:
        """The larger median stroke of the two axes (None on a single cell or before one)."""
        if not self.config.is_plate or not self._osc:
            return None
        strokes = [s for s in (self._osc["x"].stroke(), self._osc["y"].stroke()) if s is not None]
        return max(strokes) if strokes else None

    def force_oscillation_fraction(self) -> float | None:
        """Median peak-to-peak force swing of a cycle, relative to the mean loaded force."""
        osc = self._osc.get("force")
        swing = osc.stroke() if osc is not None else None
        mean_n = self.force.mean_n
        return swing / mean_n if swing is not None and mean_n else None

    def summary(self) -> dict:
        """The session so far, as JSON-able numbers (None where not measurable)."""
        f = self.force
        holds = self.holds.all_holds()
        held_s = sum(hold.duration_s for hold in holds)
        # A session spent mostly holding still has no stroke rhythm to report.
        motion = None if self.loaded_s and held_s >= 0.5 * self.loaded_s else self.motion()
        return {
            "duration_s": _round(self.duration_s, 2),
            "loaded_s": _round(f.loaded / self.config.rate_hz, 2),
            "force_n": {
                "mean": _round(f.mean_n, 2),
                "peak": _round(f.peak_n, 2),
                "p95": _round(_at_most(f.histogram.quantile(0.95), f.peak_n), 2),
            },
            "target_band_n": list(self.config.target_band_n),
            "time_in_band_fraction": _round(f.fraction(f.within), 4),
            "time_below_band_fraction": _round(f.fraction(f.below), 4),
            "time_above_band_fraction": _round(f.fraction(f.above), 4),
            "cadence_per_min": _round(motion.cadence_per_min() if motion else None, 2),
            "recent_cadence_per_min": _round(
                motion.cadence_per_min(recent=True) if motion else None, 2
            ),
            "rhythm_regularity": _round(motion.regularity() if motion else None, 3),
            "cycles": motion.cycles if motion else 0,
            "stroke_direction": self.stroke_direction(),
            "pulsing": self.pulsing(),
            "stroke_length_mm": _round(self._stroke_length_mm(), 1),
            "force_swing_fraction": _round(self.force_oscillation_fraction(), 3),
            "holds": [hold.to_dict() for hold in holds],
            "coverage": self.coverage.summary(),
        }

    def summary_holds(self) -> list[dict]:
        """The holds so far (one in progress included), as in `summary`."""
        return [hold.to_dict() for hold in self.holds.all_holds()]

    def _stroke_length_mm(self) -> float | None:
        direction = self.stroke_direction()
        if direction not in ("along", "across"):
            return None
        return self._osc["y" if direction == "along" else "x"].stroke()


def _round(value, digits: int):
    return None if value is None or not np.isfinite(value) else round(float(value), digits)


def _at_most(value: float | None, bound: float | None) -> float | None:
    """A quantile interpolated within its histogram bin, held to the largest value seen: the
    data's own quantile can never exceed it (two samples of 10 and 11 N have no p95 of 11.4)."""
    if value is None or bound is None:
        return value
    return min(value, bound)
