"""The whole simulated device: script -> foot and ball -> cells -> HX711s -> faults -> rows.

`Simulation.next_rows(n)` advances the ideal sample grid by n conversions and returns the rows that
arrive, with the ground truth behind each. Output depends only on the config and seed, never on how
the stream is cut into calls.
"""

from dataclasses import dataclass, field, replace

import numpy as np

from pfsense.calibration.model import Calibration
from pfsense.clinical import doses
from pfsense.clinical.foot import DEFAULT_FOOT_MM, FOOT_MM_RANGE
from pfsense.columns import Columns
from pfsense.dsp import plate
from pfsense.errors import ConfigError
from pfsense.sensors.batch import SEQ_MODULO
from pfsense.sensors.flags import SampleFlag
from pfsense.sensors.layout import Layout, make_layout
from pfsense.sim.faults import FaultInjector, FaultKnobs
from pfsense.sim.hx711 import HX711Model
from pfsense.sim.motion import FootTruth, Variability, segment_motion
from pfsense.sim.script import Segment, demo_script

OFFSET_SPREAD_COUNTS = 40_000.0  # bridge imbalance: each cell's zero is somewhere near, not at, 0


@dataclass(frozen=True)
class SimConfig:
    """Everything that defines a simulated device and the person using it."""

    layout: Layout = field(default_factory=lambda: make_layout("single"))
    rate_hz: int = 80
    script: tuple[Segment, ...] = field(default_factory=lambda: tuple(demo_script()))
    loop: bool = True
    seed: int = 0
    body_mass_kg: float = doses.REFERENCE_BODY_MASS_KG
    foot_mm: float = DEFAULT_FOOT_MM
    variability: Variability = field(default_factory=Variability)
    faults: FaultKnobs = field(default_factory=FaultKnobs)
    noise_scale: float = 1.0
    drift_n_per_min: float = 0.1  # typical warm-up zero drift; raise it to exercise re-zeroing
    creep_fraction: float = 0.0
    plate_mass_kg: float = 1.2  # the plate (or cradle) rests on the cells: a preload to tare away

    def __post_init__(self) -> None:
        if not self.script:
            raise ConfigError("the simulator script has no segments")
        low, high = FOOT_MM_RANGE
        if not low <= self.foot_mm <= high:
            raise ConfigError(
                f"foot length {self.foot_mm:g} mm is out of range: expected {low:g}-{high:g} mm"
            )
        if not 20.0 <= self.body_mass_kg <= 250.0:
            raise ConfigError(
                f"body mass {self.body_mass_kg:g} kg is out of range: expected 20-250 kg"
            )


@dataclass(frozen=True, eq=False)
class SimTruth(Columns):
    """What really happened at each delivered row."""

    sample_index: np.ndarray  # position on the ideal grid (t_s = sample_index / rate_hz)
    force_n: np.ndarray  # total force from the foot (excludes the plate's own weight)
    cell_force_n: np.ndarray  # (n, ch) force from the foot on each cell
    x_mm: np.ndarray
    y_mm: np.ndarray
    sole_mm: np.ndarray
    technique_code: np.ndarray  # techniques.TECHNIQUE_CODES, 0 = rest
    zone_code: np.ndarray  # techniques.ZONE_CODES, 0 = none
    cadence_per_min: np.ndarray  # instantaneous stroke rate; 0 while paused or still
    segment_index: np.ndarray  # which script segment (counting loops)
    fault: np.ndarray  # (n, ch) FaultCode
    ideal_counts: np.ndarray  # (n, ch) counts without noise or faults


@dataclass(frozen=True, eq=False)
class SimRows:
    t_s: np.ndarray
    seq: np.ndarray
    counts: np.ndarray
    flags: np.ndarray
    truth: SimTruth


class Simulation:
    """A deterministic simulated device. Not thread-safe: one reader."""

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.layout = config.layout
        self.rate_hz = config.rate_hz
        self._rolling_force_n = doses.rolling_force_n(config.body_mass_kg)
        self.cells = self._make_cells(config)
        self._noise_rngs = [
            np.random.default_rng([config.seed, 3, i]) for i in range(len(self.cells))
        ]
        self._faults = FaultInjector(config.faults, self.layout.channels, config.seed)
        self._preload_n = config.plate_mass_kg * doses.GRAVITY_M_PER_S2 / len(self.cells)
        # The plate has rested on the cells long before the session: its creep has settled.
        self._creep_n = [config.creep_fraction * self._preload_n] * len(self.cells)
        self._next_index = 0  # next grid sample
        self._conversions = 0  # conversions made so far (drives seq)
        self._drop_pending = False
        self._segment_number = -1
        self._segment_start = 0
        self._motion: FootTruth | None = None
        self._resume: tuple | None = None  # the script to go back to after a followed routine
        self.ended = False

    def follow(self, script: tuple, then_resume: bool = True) -> None:
        """From the next sample made, the person does `script` (a routine's segments, with
        rests), then goes back to the configured script (looping as before). Segments are
        checked as any script's are."""
        for segment in script:
            segment.resolved(self._rolling_force_n)  # refused here, not mid-stream
        resume = self._resume or self.config.script
        self.config = replace(self.config, script=tuple(script))
        self._resume = resume if then_resume else None
        self._segment_number, self._segment_start, self._motion = -1, self._next_index, None
        self.ended = False

    def stop_following(self) -> None:
        """Back to the configured script from the next sample made (a routine stopped early)."""
        if self._resume is not None:
            self.follow(self._resume, then_resume=False)

    def _make_cells(self, config: SimConfig) -> list[HX711Model]:
        rng = np.random.default_rng([config.seed, 1])
        cells = []
        for _ in self.layout.channels:
            model = HX711Model(rate_hz=config.rate_hz, noise_scale=config.noise_scale)
            drift = rng.choice([-1.0, 1.0]) * config.drift_n_per_min / 60.0 * model.counts_per_n
            cells.append(
                replace(
                    model,
                    offset_counts=float(rng.uniform(-OFFSET_SPREAD_COUNTS, OFFSET_SPREAD_COUNTS)),
                    drift_counts_per_s=float(drift),
                    creep_fraction=config.creep_fraction,
                )
            )
        return cells

    @property
    def nominal_calibration(self) -> Calibration:
        """The true zero (with the plate on, settled) and scale of each cell, drift aside."""
        settled_n = self._preload_n * (1.0 + self.config.creep_fraction)
        return Calibration(
            tuple(c.offset_counts + c.counts_per_n * settled_n for c in self.cells),
            tuple(c.counts_per_n for c in self.cells),
            source="simulator",
        )

    @property
    def next_index(self) -> int:
        """The next sample on the ideal grid."""
        return self._next_index

    @property
    def next_t_s(self) -> float:
        return self._next_index / self.rate_hz

    def next_rows(self, n: int) -> SimRows:
        """Advance n conversions on the grid; return the rows that arrive (fewer when dropped,
        stalled, or the script ended without looping)."""
        foot, segment_index = self._foot_truth(n)
        index = np.arange(self._next_index, self._next_index + len(foot))
        self._next_index += len(foot)
        t_s = index / self.rate_hz
        cell_force_n = self._cell_forces(foot)
        ideal, counts = self._hx711_counts(t_s, cell_force_n)
        injected = self._faults.inject(t_s, counts)
        converted = ~self._faults.whole_sensor_stalled(t_s)
        seq = (self._conversions + np.cumsum(converted) - 1) % SEQ_MODULO
        self._conversions += int(converted.sum())
        keep = self._mark_drops(converted, injected.flags)
        truth = SimTruth(
            sample_index=index,
            cell_force_n=cell_force_n,
            segment_index=segment_index,
            fault=injected.fault,
            ideal_counts=ideal,
            **foot.as_dict(),
        )
        rows = (t_s, seq.astype(np.uint16), injected.counts, injected.flags)
        return SimRows(*(column[keep] for column in rows), truth.select(keep))

    def _mark_drops(self, converted: np.ndarray, flags: np.ndarray) -> np.ndarray:
        """Rows that arrive; the first row after a lost one gets DROPPED on every channel."""
        lost = converted & self._faults.dropped(len(converted))
        keep = converted & ~lost
        if not self._drop_pending and not lost.any():
            return keep  # the usual chunk: nothing lost, nothing to mark
        for row in range(len(keep)):  # short batches; the carry crosses calls
            if lost[row]:
                self._drop_pending = True
            elif keep[row] and self._drop_pending:
                flags[row] |= np.uint8(SampleFlag.DROPPED)
                self._drop_pending = False
        return keep

    def _cell_forces(self, foot: FootTruth) -> np.ndarray:
        if not self.layout.is_plate:
            return foot.force_n[:, None].copy()
        width_mm, length_mm = self.layout.plate_width_mm, self.layout.plate_length_mm
        return plate.corner_forces_n(foot.force_n, foot.x_mm, foot.y_mm, width_mm, length_mm)

    def _hx711_counts(
        self, t_s: np.ndarray, cell_force_n: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        ideal = np.empty(cell_force_n.shape)
        noisy = np.empty(cell_force_n.shape)
        for ch, cell in enumerate(self.cells):
            ideal[:, ch], noisy[:, ch], self._creep_n[ch] = cell.counts(
                t_s, cell_force_n[:, ch] + self._preload_n, self._noise_rngs[ch], self._creep_n[ch]
            )
        return ideal, noisy

    def _foot_truth(self, n: int) -> tuple[FootTruth, np.ndarray]:
        """The foot's truth for the next n grid samples, across segment boundaries, and which
        segment each sample belongs to. Fewer than n when a non-looping script ends."""
        parts, numbers = [], []
        index, end = self._next_index, self._next_index + n
        while index < end and self._load_segment_for(index):
            offset = index - self._segment_start
            take = min(end - index, len(self._motion) - offset)
            parts.append(self._motion.select(slice(offset, offset + take)))
            numbers.append(np.full(take, self._segment_number, np.int64))
            index += take
        if not parts:
            return self._motion.select(slice(0, 0)), np.zeros(0, np.int64)
        return FootTruth.concat(parts), np.concatenate(numbers)

    def _load_segment_for(self, index: int) -> bool:
        """Load the segment holding grid sample `index`; False when the script is over."""
        while self._motion is None or index >= self._segment_start + len(self._motion):
            if self._motion is not None:
                self._segment_start += len(self._motion)
            number = self._segment_number + 1
            script = self.config.script
            if number >= len(script) and self._resume is not None:
                # A followed routine is over: back to the person's own script.
                self.config, self._resume = replace(self.config, script=self._resume), None
                self._segment_number, number, script = -1, 0, self.config.script
            if number >= len(script) and not self.config.loop:
                self.ended = True
                return False
            self._segment_number = number
            segment = script[number % len(script)].resolved(self._rolling_force_n)
            rng = np.random.default_rng([self.config.seed, 2, number])
            self._motion = segment_motion(
                segment, self.rate_hz, rng, self.config.variability, self.config.foot_mm
            )
        return True
