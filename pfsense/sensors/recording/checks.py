"""Checks on parsed rows: times finite and increasing, values finite and in range."""

from pathlib import Path

import numpy as np

from pfsense.errors import RecordingError

# What a recording's numbers must be to be a recording of a load cell at all.
RATE_RANGE_HZ = (1.0, 1000.0)  # the HX711 gives 10 or 80; other load-cell ADCs up to ~1 kHz
COUNTS_PER_N_RANGE = (0.01, 1e7)  # |scale|: 1000 for plain newton CSVs, ~4,400 for the sim
MAX_GAP_S = 3600.0  # a recording is one sitting: a stall, not days between two rows


def _check_times(
    path: Path, numbers: np.ndarray, t_s: np.ndarray, label: str, before_t_s: float | None
) -> None:
    """Finite and increasing, from `before_t_s` (the last time of the rows before) if given."""
    _check_finite(path, numbers, t_s, label)
    earlier = t_s[:-1] if before_t_s is None else np.concatenate(([before_t_s], t_s[:-1]))
    later = t_s[1:] if before_t_s is None else t_s
    backwards = np.flatnonzero(later <= earlier)
    gaps = np.flatnonzero(later - earlier > MAX_GAP_S)
    if len(gaps) and (not len(backwards) or gaps[0] < backwards[0]):
        row = gaps[0]
        raise RecordingError(
            path,
            int(numbers[row + (before_t_s is None)]),
            f"{label} jumps {_number(float(later[row] - earlier[row]))} s from the row before: "
            f"expected one sitting (gaps of at most {MAX_GAP_S:g} s)",
        )
    if len(backwards):
        row = backwards[0]
        raise RecordingError(
            path,
            int(numbers[row + (before_t_s is None)]),
            f"time goes backwards: {label} {float(later[row])!r} after "
            f"{float(earlier[row])!r}; "
            "expected increasing times",
        )


def _check_finite(path: Path, numbers: np.ndarray, values: np.ndarray, label: str) -> None:
    bad = np.flatnonzero(~np.isfinite(values).reshape(len(values), -1).all(axis=1))
    if len(bad):
        row = np.ravel(values[bad[0]])
        value = float(row[~np.isfinite(row)][0])
        raise RecordingError(
            path, int(numbers[bad[0]]), f"{label} is {value}: expected a finite number"
        )


def _check_range(
    path: Path, numbers: np.ndarray, values: np.ndarray, low: int, high: int, label: str
) -> None:
    bad = np.flatnonzero(((values < low) | (values > high)).reshape(len(values), -1).any(axis=1))
    if len(bad):
        row = values[bad[0]]
        raise RecordingError(
            path,
            int(numbers[bad[0]]),
            f"{label} {np.ravel(row).astype(np.int64).tolist()} out of range: "
            f"expected {low} to {high}",
        )


def check_in_range(
    path: Path, line: int | None, value: float, limits: tuple[float, float], what: str
) -> float:
    """`value` if it lies within `limits`, else a RecordingError naming `what` and the line."""
    low, high = limits
    if not low <= value <= high:
        raise RecordingError(
            path, line, f"{what} is {_number(value)}: expected {_number(low)} to {_number(high)}"
        )
    return value


def _number(value: float) -> str:
    """A number as a person reads it: 0.0125, 1e+308, 80, -8388608 (never a numpy repr)."""
    value = float(value)
    if value.is_integer() and abs(value) < 1e9:
        return str(int(value))
    return f"{value:.6g}"


def rate_in_range(rate_hz: float) -> bool:
    """Within RATE_RANGE_HZ, with 1 % to spare: times written to a microsecond put 1000 Hz (or
    1 Hz) a hair either side, and a plain CSV read at 1001 Hz must stay importable."""
    low, high = RATE_RANGE_HZ
    return 0.99 * low <= rate_hz <= 1.01 * high
