"""Session features, updated batch by batch in bounded memory: force, rhythm, stroke, holds and
coverage. A whole recording fed at once gives the same numbers as the same rows fed live."""

import math
from dataclasses import dataclass, field

import numpy as np

from pfsense import doses, foot, plate
from pfsense.dsp.blocks import Blocks
from pfsense.dsp.histogram import Histogram
from pfsense.dsp.rhythm import Oscillation
from pfsense.techniques import ZONE_CODES, Zone

CONTACT_N = plate.CONTACT_THRESHOLD_N
FORCE_BIN_N = 0.5
FORCE_MAX_N = 2000.0
POSITION_HYSTERESIS_MM = 8.0  # wider than the foot's idle wander (~3 mm), narrower than any stroke
FORCE_HYSTERESIS_N = 3.0
FORCE_HYSTERESIS_FRACTION = 0.045
DIRECTION_RATIO = 2.0  # one axis must carry twice the other's motion energy to name a direction
STILL_RMS_MM = 5.0  # less motion than this is no stroke at all
HOLD_MIN_S = 10.0  # DOMAIN.md: tender spots are held 15-90 s; 10 s is clearly a hold
HOLD_MIN_FORCE_N = 20.0
HOLD_RADIUS_MM = 15.0
HOLD_SWING_FRACTION = 0.16  # single cell: rolling swings the force by ~25 %, a steady press ~10 %
MAX_HOLDS = 1000
ZONE_DOSE_S = doses.AREA_DURATION_S[0]  # 30-120 s per area (DOMAIN.md): 30 s covers a zone
SOLE_BINS_ALONG = 20
SOLE_BINS_ACROSS = 8
FOOT_WIDTH_FRACTION = 0.4
COVERED_BIN_S = 1.0
SOLE_ZONES = (Zone.HEEL, Zone.ARCH, Zone.FOREFOOT)


@dataclass(frozen=True)
class FeatureConfig:
    """What the features are measured against."""

    rate_hz: float
    is_plate: bool
    target_band_n: tuple[float, float] = doses.DEFAULT_TARGET_BAND_N
    foot_mm: float = foot.DEFAULT_FOOT_MM
    asked_zones: tuple[Zone, ...] = SOLE_ZONES


@dataclass
class Hold:
    start_s: float
    duration_s: float
    mean_force_n: float
    x_mm: float | None
    y_mm: float | None

    def to_dict(self) -> dict:
        return {key: _round(value, 2) for key, value in self.__dict__.items()}


@dataclass
class _OpenHold:
    start_s: float
    force_sum_n: float = 0.0
    x_sum_mm: float = 0.0
    y_sum_mm: float = 0.0
    blocks: int = 0
    end_s: float = 0.0

    def mean(self, total: float) -> float:
        return total / self.blocks


@dataclass
class ForceStats:
    """Per-sample force over loaded time, and time below, in and above the band."""

    band_n: tuple[float, float]
    loaded: int = 0
    total_n: float = 0.0
    peak_n: float | None = None
    below: int = 0
    within: int = 0
    above: int = 0
    histogram: Histogram = field(
        default_factory=lambda: Histogram.linear(0.0, FORCE_MAX_N, FORCE_BIN_N)
    )

    def add_one(self, force_n: float) -> None:
        """One sample (the live path): the same as `add` of a one-element array."""
        if not force_n >= CONTACT_N:
            return
        self.loaded += 1
        self.total_n += force_n
        self.peak_n = force_n if self.peak_n is None or force_n > self.peak_n else self.peak_n
        low, high = self.band_n
        self.below += force_n < low
        self.above += force_n > high
        self.within = self.loaded - self.below - self.above
        self.histogram.add_one(force_n)

    def add(self, force_n: np.ndarray) -> None:
        loaded = force_n[force_n >= CONTACT_N]  # NaN compares False: rejected samples drop out
        if not len(loaded):
            return
        self.loaded += len(loaded)
        self.total_n += float(loaded.sum())
        peak = float(loaded.max())
        self.peak_n = peak if self.peak_n is None else max(self.peak_n, peak)
        low, high = self.band_n
        self.below += int(np.count_nonzero(loaded < low))
        self.above += int(np.count_nonzero(loaded > high))
        self.within = self.loaded - self.below - self.above
        self.histogram.add(loaded)


class FeatureTracker:
    """Feed `add_samples` (total force per sample) and `add_blocks` (block summaries)."""

    def __init__(self, config: FeatureConfig) -> None:
        self.config = config
        self.block_s = 0.0
        self.force = ForceStats(config.target_band_n)
        self.holds: list[Hold] = []
        self.zone: Zone | None = None  # single cell: the zone a routine says is being worked
        self.zones_s = dict.fromkeys(SOLE_ZONES, 0.0)
        self.heat_s = np.zeros(
            (SOLE_BINS_ALONG, SOLE_BINS_ACROSS) if config.is_plate else len(SOLE_ZONES)
        )
        self.loaded_s = 0.0
        self.duration_s = 0.0
        self._osc: dict[str, Oscillation] = {}
        self._hold: _OpenHold | None = None
        self._first_t_s: float | None = None

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
        self._cover(blocks, loaded)
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

    def add_block(
        self, block_s: float, t_s, force_n, force_max_n, x, x_min, x_max, y, y_min, y_max
    ) -> None:
        """One block, as plain floats (the live path): the same as `add_blocks` of one."""
        if not self._osc:
            self._start_oscillations(block_s)
        loaded = force_n >= CONTACT_N
        if loaded:
            self.loaded_s += block_s
            self._cover_one(force_n, x, y)
        columns = (t_s, force_n, force_max_n, x, x_min, x_max, y, y_min, y_max)
        self._blocks([loaded], *([value] for value in columns))

    def _blocks(self, loaded, t_s, force_n, force_max_n, x, x_min, x_max, y, y_min, y_max) -> None:
        """Rhythm for every oscillation, then holds block by block."""
        force_osc = self._osc["force"]
        swings_force = force_osc.feed_many(t_s, force_n, force_n, force_max_n, loaded)
        if self.config.is_plate:
            swings_x = self._osc["x"].feed_many(t_s, x, x_min, x_max, loaded)
            swings_y = self._osc["y"].feed_many(t_s, y, y_min, y_max, loaded)
            strokes = [a == a or b == b for a, b in zip(swings_x, swings_y, strict=True)]  # not NaN
        else:
            # A steady press wobbles: on a single cell only a swing of a real squeeze or stroke,
            # HOLD_SWING_FRACTION of the force or more, counts.
            strokes = [
                swing == swing and swing >= HOLD_SWING_FRACTION * force
                for swing, force in zip(swings_force, force_n, strict=True)
            ]
        for i, on in enumerate(loaded):
            if on:
                self._track_hold(t_s[i], force_n[i], x[i], y[i], strokes[i])
            else:
                self._end_hold()

    def _cover_one(self, force_n: float, x_mm: float, y_mm: float) -> None:
        low, high = self.config.target_band_n
        work = low <= force_n <= high
        if not self.config.is_plate:
            if self.zone in SOLE_ZONES:
                self.heat_s[SOLE_ZONES.index(self.zone)] += self.block_s
                self.zones_s[self.zone] += self.block_s if work else 0.0
            return
        if not (math.isfinite(x_mm) and math.isfinite(y_mm)):
            return
        foot_mm = self.config.foot_mm
        sole_mm = foot_mm / 2.0 - y_mm  # as foot.sole_mm_from_plate_y
        along = math.floor(sole_mm / foot_mm * SOLE_BINS_ALONG)
        across = math.floor((x_mm / (FOOT_WIDTH_FRACTION * foot_mm) + 0.5) * SOLE_BINS_ACROSS)
        if 0 <= along < SOLE_BINS_ALONG and 0 <= across < SOLE_BINS_ACROSS:
            self.heat_s[along, across] += self.block_s
        if work:
            fraction = sole_mm / foot_mm
            for zone in SOLE_ZONES:
                low_f, high_f = foot.ZONE_BOUNDS_FRACTION[zone]
                if low_f <= fraction and (
                    fraction <= high_f if high_f == 1.0 else fraction < high_f
                ):
                    self.zones_s[zone] += self.block_s
                    break

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

    # Holds: stationary, loaded stretches.

    def _track_hold(
        self, t_s: float, force_n: float, x_mm: float, y_mm: float, stroke: bool
    ) -> None:
        """Extend or end the hold in progress with one loaded block. A stroke (a swing faster
        than one per HOLD_MIN_S) ends a hold: a slow swell with the breath is part of a hold,
        rolling however slow is not. On a plate the swing is of position and the ball must also
        stay within HOLD_RADIUS_MM; on a single cell it is of force."""
        hold = self._hold
        if hold is not None and (stroke or not self._in_place(hold, x_mm, y_mm)):
            self._end_hold()
            hold = None
        if force_n < HOLD_MIN_FORCE_N:
            self._end_hold()
            return
        if hold is None:
            hold = self._hold = _OpenHold(t_s - self.block_s)
        hold.force_sum_n += force_n
        hold.x_sum_mm += x_mm if math.isfinite(x_mm) else 0.0
        hold.y_sum_mm += y_mm if math.isfinite(y_mm) else 0.0
        hold.blocks += 1
        hold.end_s = t_s

    def _in_place(self, hold: _OpenHold, x_mm: float, y_mm: float) -> bool:
        if not self.config.is_plate:
            return True
        dx, dy = x_mm - hold.mean(hold.x_sum_mm), y_mm - hold.mean(hold.y_sum_mm)
        return math.hypot(dx, dy) <= HOLD_RADIUS_MM

    def _end_hold(self) -> None:
        hold, self._hold = self._hold, None
        if hold is None or hold.end_s - hold.start_s < HOLD_MIN_S or len(self.holds) >= MAX_HOLDS:
            return
        where = (
            (hold.mean(hold.x_sum_mm), hold.mean(hold.y_sum_mm))
            if self.config.is_plate
            else (None, None)
        )
        self.holds.append(
            Hold(hold.start_s, hold.end_s - hold.start_s, hold.mean(hold.force_sum_n), *where)
        )

    # Coverage: where on the sole the work went.

    def _cover(self, b: Blocks, loaded: np.ndarray) -> None:
        low, high = self.config.target_band_n
        work = loaded & (b.force_n >= low) & (b.force_n <= high)
        if not self.config.is_plate:
            if self.zone in SOLE_ZONES:
                self.heat_s[SOLE_ZONES.index(self.zone)] += self.block_s * np.count_nonzero(loaded)
                self.zones_s[self.zone] += self.block_s * np.count_nonzero(work)
            return
        placed = loaded & np.isfinite(b.y_mm) & np.isfinite(b.x_mm)
        sole_mm = foot.sole_mm_from_plate_y(b.y_mm[placed], self.config.foot_mm)
        along = np.floor(sole_mm / self.config.foot_mm * SOLE_BINS_ALONG).astype(int)
        width_mm = FOOT_WIDTH_FRACTION * self.config.foot_mm
        across = np.floor((b.x_mm[placed] / width_mm + 0.5) * SOLE_BINS_ACROSS).astype(int)
        inside = (
            (along >= 0) & (along < SOLE_BINS_ALONG) & (across >= 0) & (across < SOLE_BINS_ACROSS)
        )
        np.add.at(self.heat_s, (along[inside], across[inside]), self.block_s)
        codes = foot.zone_codes_for_sole_mm(sole_mm, self.config.foot_mm)[work[placed]]
        for zone in SOLE_ZONES:
            self.zones_s[zone] += self.block_s * np.count_nonzero(codes == ZONE_CODES[zone])

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
        """The oscillation that carries the rhythm: the dominant axis on a plate, else force."""
        if not self._osc:
            return None
        direction = self.stroke_direction()
        if direction in ("along", "across"):
            return self._osc["y" if direction == "along" else "x"]
        return self._osc["force"]

    def coverage_fraction(self) -> float | None:
        if self.config.is_plate:
            along_s = self.heat_s.sum(axis=1)
            return float(np.mean(along_s >= COVERED_BIN_S))
        asked = [z for z in self.config.asked_zones if z in SOLE_ZONES]
        if self.zone is None and not any(self.zones_s.values()):
            return None  # a single cell cannot see where it is without a routine's zones
        return (
            float(np.mean([min(1.0, self.zones_s[z] / ZONE_DOSE_S) for z in asked]))
            if asked
            else None
        )

    def force_oscillation_fraction(self) -> float | None:
        """Median peak-to-peak force swing of a cycle, relative to the mean loaded force."""
        osc = self._osc.get("force")
        mean_n = self.force.total_n / self.force.loaded if self.force.loaded else None
        swing = osc.stroke() if osc is not None else None
        return swing / mean_n if swing is not None and mean_n else None

    def summary(self) -> dict:
        """The session so far, as JSON-able numbers (None where not measurable)."""
        f = self.force
        # A session spent mostly holding still has no stroke rhythm to report.
        motion = None if self._held_share() >= 0.5 else self.motion()
        loaded = f.loaded or 0
        return {
            "duration_s": _round(self.duration_s, 2),
            "loaded_s": _round(loaded / self.config.rate_hz, 2),
            "force_n": {
                "mean": _round(f.total_n / loaded if loaded else None, 2),
                "peak": _round(f.peak_n, 2),
                "p95": _round(f.histogram.quantile(0.95), 2),
            },
            "target_band_n": list(self.config.target_band_n),
            "time_in_band_fraction": _round(f.within / loaded if loaded else None, 4),
            "time_below_band_fraction": _round(f.below / loaded if loaded else None, 4),
            "time_above_band_fraction": _round(f.above / loaded if loaded else None, 4),
            "cadence_per_min": _round(motion.cadence_per_min() if motion else None, 2),
            "recent_cadence_per_min": _round(
                motion.cadence_per_min(recent=True) if motion else None, 2
            ),
            "rhythm_regularity": _round(motion.regularity() if motion else None, 3),
            "cycles": motion.cycles if motion else 0,
            "stroke_direction": self.stroke_direction(),
            "stroke_length_mm": _round(self._stroke_length_mm(), 1),
            "force_swing_fraction": _round(self.force_oscillation_fraction(), 3),
            "holds": [hold.to_dict() for hold in self._all_holds()],
            "coverage": {
                "fraction": _round(self.coverage_fraction(), 3),
                "zones_s": {zone.value: _round(s, 1) for zone, s in self.zones_s.items()},
                "heat_map_s": np.round(self.heat_s, 1).tolist(),
            },
        }

    def _held_share(self) -> float:
        held_s = sum(hold.duration_s for hold in self._all_holds())
        return held_s / self.loaded_s if self.loaded_s else 0.0

    def _stroke_length_mm(self) -> float | None:
        direction = self.stroke_direction()
        if direction not in ("along", "across"):
            return None
        return self._osc["y" if direction == "along" else "x"].stroke()

    def _all_holds(self) -> list[Hold]:
        """The holds so far, with one still in progress (a summary does not end it)."""
        hold = self._hold
        if hold is None or hold.end_s - hold.start_s < HOLD_MIN_S:
            return self.holds
        where = (
            (hold.mean(hold.x_sum_mm), hold.mean(hold.y_sum_mm))
            if self.config.is_plate
            else (None, None)
        )
        return [
            *self.holds,
            Hold(hold.start_s, hold.end_s - hold.start_s, hold.mean(hold.force_sum_n), *where),
        ]


def _round(value, digits: int):
    return None if value is None or not np.isfinite(value) else round(float(value), digits)
