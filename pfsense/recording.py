"""Recordings: raw counts with the metadata needed to make sense of them, as CSV.

The pfsense format (version 1) is a CSV file whose first lines are metadata comments::

    # pfsense recording v1
    # layout: plate4
    # channels: fl,fr,rl,rr
    # rate_hz: 80
    # plate_mm: 300x400
    # offset_counts: 21836.58,13495.51,37207.44,-25605.99
    # counts_per_n: 4379.65,4379.65,4379.65,4379.65
    # calibration_source: simulator
    # sensor: sim
    # started_at: 2026-11-26T14:00:00+00:00
    t_s,acquired_at,seq,counts_fl,counts_fr,counts_rl,counts_rr,flags_fl,flags_fr,flags_rl,flags_rr
    0.0,1795701600.0,0,21830,13401,37238,-25625,0,0,0,0

t_s and acquired_at are written with Python's shortest exact float repr, so a file read back gives
the very same numbers. Readers also accept plain CSVs in newtons: header ``t,force`` (one cell) or
``t,fl,fr,rl,rr`` (four corner cells), times in seconds.
"""

import csv
import datetime as dt
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import numpy as np

from pfsense.adc import COUNTS_DTYPE, COUNTS_MAX, COUNTS_MIN
from pfsense.calibration import Calibration
from pfsense.errors import ConfigError, RecordingError
from pfsense.layout import Layout, make_layout, parse_plate_mm
from pfsense.sensors.batch import SEQ_MODULO, Batch
from pfsense.sensors.flags import ALL_FLAGS, FLAGS_DTYPE

MAGIC = "# pfsense recording v1"
PLAIN_HEADERS = {("t", "force"): "single", ("t", "fl", "fr", "rl", "rr"): "plate4"}
PLAIN_COUNTS_PER_N = 1000.0  # plain CSVs in newtons become counts at 1 mN per count
REQUIRED_META = ("layout", "channels", "rate_hz", "offset_counts", "counts_per_n")


@dataclass(frozen=True, eq=False)
class Recording:
    """A whole recording in memory."""

    layout: Layout
    rate_hz: float
    calibration: Calibration
    batch: Batch
    meta: dict = field(default_factory=dict)
    path: Path | None = None

    @property
    def duration_s(self) -> float:
        return float(self.batch.t_s[-1] - self.batch.t_s[0]) if len(self.batch) else 0.0


def data_columns(channels: tuple[str, ...]) -> list[str]:
    return [
        "t_s",
        "acquired_at",
        "seq",
        *(f"counts_{c}" for c in channels),
        *(f"flags_{c}" for c in channels),
    ]


class RecordingWriter:
    """Writes a recording batch by batch, flushing each so a crash loses at most the last batch."""

    def __init__(
        self,
        path: str | os.PathLike,
        layout: Layout,
        rate_hz: float,
        calibration: Calibration,
        sensor: str,
    ) -> None:
        self.path = Path(path)
        self.layout = layout
        self.samples = 0
        try:
            self._file: TextIO = open(self.path, "w", newline="", encoding="utf-8")  # noqa: SIM115
        except OSError as error:
            raise ConfigError(f"cannot write recording {self.path}: {error.strerror}") from None
        meta = {
            "layout": layout.name,
            "channels": ",".join(layout.channels),
            "rate_hz": f"{rate_hz:g}",
            "plate_mm": f"{layout.plate_width_mm:g}x{layout.plate_length_mm:g}"
            if layout.is_plate
            else "",
            "offset_counts": ",".join(repr(float(v)) for v in calibration.offset_counts),
            "counts_per_n": ",".join(repr(float(v)) for v in calibration.counts_per_n),
            "calibration_source": calibration.source,
            "sensor": sensor,
            "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        lines = [MAGIC, *(f"# {key}: {value}" for key, value in meta.items() if value)]
        self._file.write("\n".join(lines) + "\n" + ",".join(data_columns(layout.channels)) + "\n")
        self._file.flush()

    def write(self, batch: Batch) -> None:
        rows = zip(
            batch.t_s.tolist(), batch.acquired_at.tolist(), batch.seq.tolist(),
            batch.counts.tolist(), batch.flags.tolist(), strict=True,
        )  # fmt: skip
        self._file.write(
            "".join(
                f"{t!r},{at!r},{seq},{','.join(map(str, counts))},{','.join(map(str, flags))}\n"
                for t, at, seq, counts, flags in rows
            )
        )
        self._file.flush()
        self.samples += len(batch)

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()

    def __enter__(self) -> "RecordingWriter":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def read_recording(
    path: str | os.PathLike, plate_mm: tuple[float, float] | None = None
) -> Recording:
    """Read a pfsense recording or a plain newton CSV. `plate_mm` sizes a plain four-cell CSV."""
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8") as file:
            lines = list(_numbered_lines(file))
    except FileNotFoundError:
        raise RecordingError(path, None, "no such file") from None
    except UnicodeDecodeError:
        raise RecordingError(path, None, "not a text file: expected a CSV recording") from None
    except OSError as error:
        raise RecordingError(path, None, f"cannot read: {error.strerror}") from None
    if not lines:
        raise RecordingError(
            path,
            None,
            "the file is empty: expected a pfsense recording or a CSV with header t,force",
        )
    if lines[0][1].strip() == MAGIC:
        return _read_pfsense(path, lines)
    return _read_plain(path, lines, plate_mm)


def _numbered_lines(file: TextIO) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(file, start=1):
        if line.strip():
            yield number, line.rstrip("\r\n")


def _read_pfsense(path: Path, lines: list[tuple[int, str]]) -> Recording:
    meta, body = _split_meta(lines)
    missing = [key for key in REQUIRED_META if key not in meta]
    if missing:
        raise RecordingError(path, lines[0][0], f"metadata is missing {', '.join(missing)}")
    line_of = {key: number for key, (number, _) in meta.items()}
    values = {key: value for key, (_, value) in meta.items()}
    layout = _meta_layout(path, values, line_of)
    rate_hz = _meta_float(path, values, line_of, "rate_hz")
    calibration = _meta_calibration(path, values, line_of, len(layout.channels))
    if not body:
        raise RecordingError(
            path,
            lines[-1][0],
            "no header line: expected " + ",".join(data_columns(layout.channels)),
        )
    header_line, header = body[0]
    expected = data_columns(layout.channels)
    if [h.strip() for h in header.split(",")] != expected:
        raise RecordingError(
            path, header_line, f"header is {header!r}: expected {','.join(expected)}"
        )
    table = _parse_table(path, body[1:], len(expected), _pfsense_cell)
    batch = _pfsense_batch(path, body[1:], table, len(layout.channels))
    return Recording(layout, rate_hz, calibration, batch, values, path)


def _split_meta(lines: list[tuple[int, str]]) -> tuple[dict, list[tuple[int, str]]]:
    meta = {}
    index = 1
    while index < len(lines) and lines[index][1].startswith("#"):
        number, text = lines[index]
        key, _, value = text.lstrip("#").partition(":")
        meta[key.strip()] = (number, value.strip())
        index += 1
    return meta, lines[index:]


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
    try:
        return Calibration(
            numbers["offset_counts"],
            numbers["counts_per_n"],
            values.get("calibration_source", "recording"),
        )
    except ConfigError as error:
        raise RecordingError(path, line_of["counts_per_n"], str(error)) from None


def _pfsense_cell(column: int, text: str) -> float:
    return float(text) if column < 2 else int(text)


def _parse_table(path: Path, rows: list[tuple[int, str]], width: int, parse) -> list[list]:
    table = []
    for number, text in rows:
        cells = next(csv.reader([text]))
        if len(cells) != width:
            raise RecordingError(path, number, f"{len(cells)} fields: expected {width}")
        try:
            table.append([parse(column, cell.strip()) for column, cell in enumerate(cells)])
        except ValueError:
            bad = next(c for i, c in enumerate(cells) if not _parses(parse, i, c.strip()))
            raise RecordingError(path, number, f"{bad.strip()!r} is not a number") from None
    return table


def _parses(parse, column: int, text: str) -> bool:
    try:
        parse(column, text)
    except ValueError:
        return False
    return True


def _pfsense_batch(
    path: Path, rows: list[tuple[int, str]], table: list[list], channels: int
) -> Batch:
    if not table:
        raise RecordingError(path, None, "has a header but no samples")
    data = np.array(table, dtype=object)
    t_s = data[:, 0].astype(float)
    acquired_at = data[:, 1].astype(float)
    seq = data[:, 2].astype(np.int64)
    counts = data[:, 3 : 3 + channels].astype(np.int64)
    flags = data[:, 3 + channels :].astype(np.int64)
    numbers = [number for number, _ in rows]
    _check_times(path, numbers, t_s, "t_s")
    _check_finite(path, numbers, acquired_at, "acquired_at")
    _check_range(path, numbers, seq, 0, SEQ_MODULO - 1, "seq")
    _check_range(path, numbers, counts, COUNTS_MIN, COUNTS_MAX, "counts (signed 24-bit)")
    _check_range(path, numbers, flags, 0, ALL_FLAGS, "flags")
    return Batch(
        t_s,
        acquired_at,
        seq.astype(np.uint16),
        counts.astype(COUNTS_DTYPE),
        flags.astype(FLAGS_DTYPE),
    )


def _check_times(path: Path, numbers: list[int], t_s: np.ndarray, label: str) -> None:
    _check_finite(path, numbers, t_s, label)
    backwards = np.flatnonzero(np.diff(t_s) <= 0)
    if len(backwards):
        row = backwards[0] + 1
        raise RecordingError(
            path,
            numbers[row],
            f"time goes backwards: {label} {t_s[row]!r} after {t_s[row - 1]!r}; "
            "expected increasing times",
        )


def _check_finite(path: Path, numbers: list[int], values: np.ndarray, label: str) -> None:
    bad = np.flatnonzero(~np.isfinite(values))
    if len(bad):
        raise RecordingError(
            path, numbers[bad[0]], f"{label} is {values[bad[0]]!r}: expected a finite number"
        )


def _check_range(
    path: Path, numbers: list[int], values: np.ndarray, low: int, high: int, label: str
) -> None:
    bad = np.flatnonzero(((values < low) | (values > high)).reshape(len(values), -1).any(axis=1))
    if len(bad):
        row = values[bad[0]]
        raise RecordingError(
            path,
            numbers[bad[0]],
            f"{label} {np.ravel(row).tolist()} out of range: expected {low} to {high}",
        )


def _read_plain(
    path: Path, lines: list[tuple[int, str]], plate_mm: tuple[float, float] | None
) -> Recording:
    lines = [(number, text) for number, text in lines if not text.lstrip().startswith("#")]
    header_line, header = lines[0]
    names = tuple(name.strip().lower() for name in header.split(","))
    if names not in PLAIN_HEADERS:
        raise RecordingError(
            path,
            header_line,
            f"header is {header!r}: expected a pfsense recording, "
            "'t,force' (s, N) or 't,fl,fr,rl,rr' (s, N per corner)",
        )
    try:
        layout = make_layout(PLAIN_HEADERS[names], plate_mm)
    except ConfigError as error:
        raise RecordingError(path, None, str(error)) from None
    table = _parse_table(path, lines[1:], len(names), lambda _column, text: float(text))
    if not table:
        raise RecordingError(path, None, "has a header but no samples")
    data = np.array(table, dtype=float)
    numbers = [number for number, _ in lines[1:]]
    _check_times(path, numbers, data[:, 0], "t")
    _check_finite(path, numbers, data[:, 1:], "force")
    return _plain_recording(path, layout, data)


def _plain_recording(path: Path, layout: Layout, data: np.ndarray) -> Recording:
    channels = len(layout.channels)
    calibration = Calibration((0.0,) * channels, (PLAIN_COUNTS_PER_N,) * channels, "plain newtons")
    counts = calibration.counts(data[:, 1:])
    if np.any(counts > COUNTS_MAX) or np.any(counts < COUNTS_MIN):
        limit_n = COUNTS_MAX / PLAIN_COUNTS_PER_N
        raise RecordingError(path, None, f"a force is beyond +/-{limit_n:g} N: expected newtons")
    t_s = data[:, 0]
    rate_hz = 1.0 / float(np.median(np.diff(t_s))) if len(t_s) > 1 else 1.0
    ended_at = path.stat().st_mtime
    seq = (np.arange(len(t_s)) % SEQ_MODULO).astype(np.uint16)
    acquired_at = ended_at - (t_s[-1] - t_s)  # the file was written as the recording ended
    batch = Batch(
        t_s, acquired_at, seq, counts.astype(COUNTS_DTYPE), np.zeros(counts.shape, FLAGS_DTYPE)
    )
    return Recording(layout, rate_hz, calibration, batch, {"format": "plain newtons"}, path)
