"""The pfsense format (version 1): its magic line, required metadata and columns, and how its
metadata and rows are read."""

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pfsense.calibration.model import Calibration
from pfsense.errors import ConfigError, RecordingError
from pfsense.sensors.adc import COUNTS_DTYPE, COUNTS_MAX, COUNTS_MIN
from pfsense.sensors.batch import SEQ_MODULO, Batch
from pfsense.sensors.flags import ALL_FLAGS, FLAGS_DTYPE
from pfsense.sensors.layout import Layout, make_layout, parse_plate_mm
from pfsense.sensors.recording.checks import (
    COUNTS_PER_N_RANGE,
    RATE_RANGE_HZ,
    _check_finite,
    _check_range,
    check_in_range,
    rate_in_range,
)

MAGIC = "# pfsense recording v1"
REQUIRED_META = ("layout", "channels", "rate_hz", "offset_counts", "counts_per_n")


def data_columns(channels: tuple[str, ...]) -> list[str]:
    return [
        "t_s",
        "acquired_at",
        "seq",
        *(f"counts_{c}" for c in channels),
        *(f"flags_{c}" for c in channels),
    ]


@dataclass
class _PfsenseRows:
    """How rows of the pfsense format become batches."""

    layout: Layout
    rate_hz: float
    calibration: Calibration
    meta: dict
    time_label: str = "t_s"

    @property
    def dtype(self) -> np.dtype:
        """A row; seq, counts and flags are parsed as whole numbers."""
        channels = len(self.layout.channels)
        return np.dtype(
            [("t_s", float), ("acquired_at", float), ("seq", np.int64),
             ("counts", np.int64, (channels,)), ("flags", np.int64, (channels,))]
        )  # fmt: skip

    def batch(self, path: Path, numbers: np.ndarray, table: np.ndarray) -> Batch:
        acquired_at, seq, counts, flags = (
            table[name] for name in ("acquired_at", "seq", "counts", "flags")
        )
        _check_finite(path, numbers, acquired_at, "acquired_at")
        _check_range(path, numbers, seq, 0, SEQ_MODULO - 1, "seq")
        _check_range(path, numbers, counts, COUNTS_MIN, COUNTS_MAX, "counts (signed 24-bit)")
        _check_range(path, numbers, flags, 0, ALL_FLAGS, "flags")
        return Batch(
            np.ascontiguousarray(table["t_s"]), np.ascontiguousarray(acquired_at),
            seq.astype(np.uint16), counts.astype(COUNTS_DTYPE), flags.astype(FLAGS_DTYPE),
        )  # fmt: skip


def _pfsense_rows(path: Path, head: list[tuple[int, str]]) -> _PfsenseRows:
    meta = {}
    for number, text in head[1:]:
        if text.startswith("#"):
            key, _, value = text.lstrip("#").partition(":")
            meta[key.strip()] = (number, value.strip())
    missing = [key for key in REQUIRED_META if key not in meta]
    if missing:
        raise RecordingError(path, head[0][0], f"metadata is missing {', '.join(missing)}")
    line_of = {key: number for key, (number, _) in meta.items()}
    values = {key: value for key, (_, value) in meta.items()}
    layout = _meta_layout(path, values, line_of)
    rate_hz = _meta_float(path, values, line_of, "rate_hz")
    if not rate_in_range(rate_hz):
        low, high = RATE_RANGE_HZ
        raise RecordingError(
            path, line_of["rate_hz"], f"rate_hz is {rate_hz:.6g}: expected {low:g} to {high:g}"
        )
    calibration = _meta_calibration(path, values, line_of, len(layout.channels))
    expected = data_columns(layout.channels)
    header_line, header = head[-1]
    if header.startswith("#"):
        raise RecordingError(path, header_line, "no header line: expected " + ",".join(expected))
    if [h.strip() for h in header.split(",")] != expected:
        raise RecordingError(
            path, header_line, f"header is {header!r}: expected {','.join(expected)}"
        )
    return _PfsenseRows(layout, rate_hz, calibration, values)


def _meta_layout(path: Path, values: dict, line_of: dict) -> Layout:
    plate = values.get("plate_mm")
    try:
        layout = make_layout(values["layout"], parse_plate_mm(plate) if plate else None)
    except ConfigError as error:
        raise RecordingError(
            path, line_of.get("plate_mm" if plate else "layout"), str(error)
        ) from None
    if tuple(values["channels"].split(",")) != layout.channels:
        raise RecordingError(
            path,
            line_of["channels"],
            f"channels {values['channels']!r}: "
            f"a {layout.name} recording has {','.join(layout.channels)}",
        )
    return layout


def _meta_float(path: Path, values: dict, line_of: dict, key: str) -> float:
    try:
        value = float(values[key])
    except ValueError:
        raise RecordingError(path, line_of[key], f"{key} {values[key]!r} is not a number") from None
    if not math.isfinite(value) or value <= 0:
        raise RecordingError(
            path, line_of[key], f"{key} must be a positive number, got {values[key]!r}"
        )
    return value


def _meta_calibration(path: Path, values: dict, line_of: dict, channels: int) -> Calibration:
    numbers = {}
    for key in ("offset_counts", "counts_per_n"):
        try:
            numbers[key] = tuple(float(v) for v in values[key].split(","))
        except ValueError:
            raise RecordingError(
                path,
                line_of[key],
                f"{key} {values[key]!r}: expected {channels} comma-separated numbers",
            ) from None
        if len(numbers[key]) != channels:
            raise RecordingError(
                path,
                line_of[key],
                f"{key} has {len(numbers[key])} values: expected {channels}, one per channel",
            )
    for offset in numbers["offset_counts"]:
        check_in_range(path, line_of["offset_counts"], offset, (COUNTS_MIN, COUNTS_MAX),
                       "an offset_counts value")  # fmt: skip
    for scale in numbers["counts_per_n"]:
        check_in_range(path, line_of["counts_per_n"], abs(scale), COUNTS_PER_N_RANGE,
                       "the size of a counts_per_n value")  # fmt: skip
    try:
        return Calibration(
            numbers["offset_counts"],
            numbers["counts_per_n"],
            values.get("calibration_source", "recording"),
        )
    except ConfigError as error:
        raise RecordingError(path, line_of["counts_per_n"], str(error)) from None
