"""Calibration steps: tare, a known weight per cell, and per-cell gains for the plate (re-zero
against drift: pfsense.calibration.autozero). Each step refuses what it cannot trust, saying why.

Klipper's load-cell code is the model: tare refuses saturated samples; every number is checked.
"""

from dataclasses import dataclass

import numpy as np

from pfsense.dsp import plate
from pfsense.dsp.clean import Cleaner
from pfsense.errors import CalibrationError
from pfsense.sensors.adc import COUNTS_MAX

TARE_MIN_S = 1.0  # about a second of clean unloaded samples
SETTLE_S = 0.5  # first let a weight just put down (or a hand just taken off) stop swaying
TARE_MAX_SD_N = 0.5  # more than this and someone is touching the device
TARE_MAX_REJECTED = 0.1  # a tare from mostly rejected samples is not one
MIN_CHANGE_OF_FULL_SCALE = 0.01  # a known weight must move the reading by 1 % of full scale
WEIGHT_N_RANGE = (1.0, 2000.0)  # a test weight from 0.1 kg to 200 kg
PLATE_CHECK_MM = 3.0  # centre of pressure error allowed at the check points
PLATE_CHECK_FORCE = 0.01  # and total force error, as a fraction
FULL_SCALE = COUNTS_MAX + 1


def tare(
    counts: np.ndarray, rate_hz: float, counts_per_n, channels: tuple[str, ...]
) -> tuple[float, ...]:
    """Zero offsets from about a second of unloaded samples: cleaned counts (n, ch), NaN where
    rejected. Refused when too short, saturated or unsteady."""
    counts = np.atleast_2d(np.asarray(counts, dtype=float))
    needed = round(TARE_MIN_S * rate_hz)
    if len(counts) < needed:
        raise CalibrationError(
            f"tare needs {TARE_MIN_S:g} s of samples ({needed}), got {len(counts)}"
        )
    scale = np.abs(np.asarray(counts_per_n, dtype=float))
    for index, name in enumerate(channels):
        _check_tare_channel(counts[:, index], scale[index], name)
    return tuple(float(v) for v in np.nanmean(counts, axis=0))


def cleaned_counts(batch, counts_per_n) -> np.ndarray:
    """Raw sensor rows as counts (n, channels), NaN where the cleaner rejected them, as everything
    else is cleaned (pfsense.dsp.clean); the scales only set the cleaner's thresholds."""
    cleaner = Cleaner(batch.channels, np.abs(np.asarray(counts_per_n, dtype=float)))
    return np.concatenate([cleaner.clean(batch)[1], cleaner.finish()[1]])


def tare_raw(batch, rate_hz: float, counts_per_n, channels: tuple[str, ...]) -> tuple[float, ...]:
    """`tare` on raw sensor rows, cleaned first."""
    return tare(cleaned_counts(batch, counts_per_n), rate_hz, counts_per_n, channels)


def _check_tare_channel(values: np.ndarray, counts_per_n: float, name: str) -> None:
    rejected = np.count_nonzero(np.isnan(values)) / len(values)
    if rejected > TARE_MAX_REJECTED:
        raise CalibrationError(
            f"tare refused: {rejected:.0%} of {_cell(name)}'s samples were saturated or glitched; "
            "check the wiring and that nothing presses on the cell"
        )
    sd_n = float(np.nanstd(values)) / counts_per_n
    if sd_n > TARE_MAX_SD_N:
        raise CalibrationError(
            f"tare refused: the reading of {_cell(name)} moved by {sd_n:.2f} N while taring "
            f"(more than {TARE_MAX_SD_N:g} N); take your foot and hands off, keep the device "
            "still and unloaded, then tare again"
        )


CORNERS = {"fl": "front left", "fr": "front right", "rl": "rear left", "rr": "rear right"}


def _cell(name: str) -> str:
    """How a message names a cell: "the cell" alone, "the front left cell (fl)" on a plate (the
    label on the wiring diagram in brackets)."""
    if name == "cell":
        return "the cell"
    return f"the {CORNERS[name]} cell ({name})" if name in CORNERS else f"cell {name}"


def counts_per_newton(loaded_counts: np.ndarray, offset_counts: float, weight_n: float) -> float:
    """Scale of one cell from its cleaned counts under a known weight, after a tare."""
    low, high = WEIGHT_N_RANGE
    if not low <= weight_n <= high:
        raise CalibrationError(
            f"weight {weight_n:g} N is out of range: expected {low:g} to {high:g} N"
        )
    change = float(np.nanmean(loaded_counts)) - offset_counts
    if abs(change) < MIN_CHANGE_OF_FULL_SCALE * FULL_SCALE:
        raise CalibrationError(
            f"the weight changed the reading by only {abs(change):.0f} counts, under 1 % of full "
            f"scale ({MIN_CHANGE_OF_FULL_SCALE * FULL_SCALE:.0f}): use a heavier weight, or check "
            "that it rests on the cell"
        )
    return change / weight_n


@dataclass(frozen=True)
class Placement:
    """A known weight at a known spot on the plate, and each corner's change in counts."""

    x_mm: float
    y_mm: float
    delta_counts: tuple[float, float, float, float]


@dataclass(frozen=True)
class PlateCheck:
    """How far off the centre of pressure and the total are at each placement, after the fit."""

    position_error_mm: tuple[float, ...]
    force_error_fraction: tuple[float, ...]

    @property
    def passed(self) -> bool:
        return (
            max(self.position_error_mm) <= PLATE_CHECK_MM
            and max(self.force_error_fraction) <= PLATE_CHECK_FORCE
        )


def plate_gains(
    placements: list[Placement], weight_n: float, width_mm: float, length_mm: float
) -> tuple[tuple[float, ...], PlateCheck]:
    """Per-cell counts per newton that make the total and the centre of pressure right.

    For each placement the weighted corner changes must add to the weight, and their moments must
    put the centre of pressure where the weight stands: a linear least-squares fit of 1/scale.
    Needs the centre and at least one corner; all four corners make it well determined.
    """
    if not all(np.isfinite(spot.delta_counts).all() for spot in placements):
        raise CalibrationError("a placement has no usable reading on some cell: check the wiring")
    if len(placements) < 2:
        raise CalibrationError(
            "plate calibration needs the weight at the centre and at least one corner"
        )
    rows, targets = [], []
    for spot in placements:
        delta = np.asarray(spot.delta_counts, dtype=float)
        rows += [
            delta,
            delta * plate.CORNER_SIGN_X * width_mm / 2,
            delta * plate.CORNER_SIGN_Y * length_mm / 2,
        ]
        targets += [weight_n, weight_n * spot.x_mm, weight_n * spot.y_mm]
    # Scale the moment rows to newtons so every equation counts alike.
    weights = np.tile([1.0, 2.0 / width_mm, 2.0 / length_mm], len(placements))
    solution, *_ = np.linalg.lstsq(
        np.array(rows) * weights[:, None], np.array(targets) * weights, rcond=None
    )
    if np.any(solution <= 0):
        raise CalibrationError(
            "plate calibration gave a cell no positive gain: "
            "check the cells' wiring and the spots used"
        )
    counts_per_n = tuple(float(v) for v in 1.0 / solution)
    return counts_per_n, check_plate(placements, counts_per_n, weight_n, width_mm, length_mm)


def check_plate(
    placements, counts_per_n, weight_n: float, width_mm: float, length_mm: float
) -> PlateCheck:
    """Centre-of-pressure and total-force errors at each placement for given cell scales."""
    errors_mm, errors_force = [], []
    for spot in placements:
        corners_n = np.asarray(spot.delta_counts, dtype=float)[None, :] / np.asarray(counts_per_n)
        force_n, x_mm, y_mm = plate.centre_of_pressure_mm(corners_n, width_mm, length_mm)
        errors_mm.append(float(np.hypot(x_mm[0] - spot.x_mm, y_mm[0] - spot.y_mm)))
        errors_force.append(float(abs(force_n[0] - weight_n) / weight_n))
    return PlateCheck(tuple(errors_mm), tuple(errors_force))
