"""The sensor calibration wizard, for the therapist page and `pfsense calibrate`: tare with nothing
on, then a known weight at each spot (the centre; for a plate also halfway to each corner), then
the scales (plate: per-cell gains by least squares) and a check of where and how heavy the weight
read at every spot. Each step takes about two seconds of raw samples.
"""

from dataclasses import dataclass, field

import numpy as np

from pfsense.calibration import fit
from pfsense.calibration.model import Calibration
from pfsense.errors import CalibrationError
from pfsense.sensors.batch import Batch
from pfsense.sensors.layout import Layout

STEP_S = 2.0  # samples averaged per step: 160 at 80 SPS
SETTLE_S = fit.SETTLE_S
CAPTURE_S = SETTLE_S + STEP_S  # what a step reads from the sensor


def spots_mm(layout: Layout) -> list[tuple[float, float]]:
    """Where the weight goes: the centre, and for a plate halfway from it to each corner (fl, fr,
    rl, rr), which a person can mark and hit better than the corners themselves."""
    if not layout.is_plate:
        return [(0.0, 0.0)]
    x, y = layout.plate_width_mm / 4, layout.plate_length_mm / 4
    return [(0.0, 0.0), (-x, y), (x, y), (-x, -y), (x, -y)]


def mean_counts(batch: Batch, counts_per_n) -> np.ndarray:
    """Each cell's mean over a step, after the same cleaning as everything else."""
    return np.nanmean(fit.cleaned_counts(batch, counts_per_n), axis=0)


@dataclass
class CalibrationWizard:
    """Feed it steps in order; `result()` when every spot has been weighed."""

    layout: Layout
    rate_hz: float
    weight_n: float
    rough: Calibration  # the sensor's nominal scales: only for the cleaner's thresholds
    offsets: tuple[float, ...] | None = None
    placements: list[fit.Placement] = field(default_factory=list)

    def __post_init__(self) -> None:
        low, high = fit.WEIGHT_N_RANGE
        if not low <= self.weight_n <= high:
            raise CalibrationError(
                f"weight {self.weight_n:g} N is out of range: expected {low:g} to {high:g} N"
            )

    @property
    def next_step(self) -> str:
        if self.offsets is None:
            return "tare: take everything off the device"
        if len(self.placements) < len(spots_mm(self.layout)):
            x, y = spots_mm(self.layout)[len(self.placements)]
            return f"put the {self.weight_n:g} N weight at x {x:g} mm, y {y:g} mm"
        return "done"

    def tare(self, batch: Batch) -> None:
        """From CAPTURE_S of raw samples with nothing on."""
        scales = self.rough.counts_per_n
        batch = self._settled(batch)
        self.offsets = fit.tare_raw(batch, self.rate_hz, scales, self.layout.channels)
        self.placements.clear()

    def place(self, batch: Batch) -> None:
        """From CAPTURE_S of raw samples with the weight at the next spot."""
        if self.offsets is None:
            raise CalibrationError("tare first, with nothing on the device")
        spots = spots_mm(self.layout)
        if len(self.placements) >= len(spots):
            raise CalibrationError("every spot is weighed: finish, or tare to start again")
        x_mm, y_mm = spots[len(self.placements)]
        delta = mean_counts(self._settled(batch), self.rough.counts_per_n) - np.asarray(
            self.offsets
        )
        if not self.layout.is_plate:
            # One cell: the same refusals as counts_per_newton (too light, out of range).
            fit.counts_per_newton(delta + self.offsets[0], self.offsets[0], self.weight_n)
        self.placements.append(fit.Placement(x_mm, y_mm, tuple(float(d) for d in delta)))

    def _settled(self, batch: Batch) -> Batch:
        return batch.select(slice(round(SETTLE_S * self.rate_hz), None))

    def result(self) -> tuple[Calibration, fit.PlateCheck | None]:
        if self.next_step != "done":
            raise CalibrationError(f"not finished: next, {self.next_step}")
        if not self.layout.is_plate:
            delta = self.placements[0].delta_counts[0]
            scale = delta / self.weight_n
            return Calibration(self.offsets, (scale,), "tare and known weight"), None
        gains, check = fit.plate_gains(
            self.placements, self.weight_n, self.layout.plate_width_mm, self.layout.plate_length_mm
        )
        calibration = Calibration(self.offsets, gains, "tare and known weight at 5 spots")
        return calibration, check
