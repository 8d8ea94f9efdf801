"""Checks on parsed rows: times finite and increasing, values finite and in range."""

from pathlib import Path

import numpy as np

from pfsense.errors import RecordingError


def _check_times(
    path: Path, numbers: np.ndarray, t_s: np.ndarray, label: str, before_t_s: float | None
) -> None:
    """Finite and increasing, from `before_t_s` (the last time of the rows before) if given."""
    _check_finite(path, numbers, t_s, label)
    earlier = t_s[:-1] if before_t_s is None else np.concatenate(([before_t_s], t_s[:-1]))
    later = t_s[1:] if before_t_s is None else t_s
    backwards = np.flatnonzero(later <= earlier)
    if len(backwards):
        row = backwards[0]
        raise RecordingError(
            path,
            int(numbers[row + (before_t_s is None)]),
            f"time goes backwards: {label} {float(later[row])!r} after {float(earlier[row])!r}; "
            "expected increasing times",
        )


def _check_finite(path: Path, numbers: np.ndarray, values: np.ndarray, label: str) -> None:
    bad = np.flatnonzero(~np.isfinite(values).reshape(len(values), -1).all(axis=1))
    if len(bad):
        row = np.ravel(values[bad[0]])
        value = float(row[~np.isfinite(row)][0])
        raise RecordingError(
            path, int(numbers[bad[0]]), f"{label} is {value!r}: expected a finite number"
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
