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
import io
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import numpy as np

from pfsense.calibration.model import Calibration
from pfsense.errors import ConfigError, RecordingError
from pfsense.sensors.adc import COUNTS_DTYPE, COUNTS_MAX, COUNTS_MIN
from pfsense.sensors.batch import SEQ_MODULO, Batch
from pfsense.sensors.flags import ALL_FLAGS, FLAGS_DTYPE
from pfsense.sensors.layout import Layout, make_layout, parse_plate_mm

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
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RecordingError(path, None, "no such file") from None
    except UnicodeDecodeError:
        raise RecordingError(path, None, "not a text file: expected a CSV recording") from None
    except OSError as error:
        raise RecordingError(path, None, f"cannot read: {error.strerror}") from None
    head, body = _split_head(text)
    if not head:
        raise RecordingError(
            path,
            None,
            "the file is empty: expected a pfsense recording or a CSV with header t,force",
        )
    if head[0][1].strip() == MAGIC:
        return _read_pfsense(path, head, body)
    return _read_plain(path, head, body, plate_mm)


def _split_head(text: str) -> tuple[list[tuple[int, str]], "_Body"]:
    """The numbered lines up to and including the first that is neither blank nor a comment
    (the header), and the rest of the text (the samples)."""
    head = []
    position = 0
    number = 0
    while position < len(text):
        end = text.find("\n", position)
        end = len(text) if end < 0 else end
        line = text[position:end].rstrip("\r")
        number += 1
        position = end + 1
        if not line.strip():
            continue
        head.append((number, line))
        if not line.startswith("#"):
            break
    return head, _Body(text[position:], number + 1)


@dataclass(frozen=True)
class _Body:
    """The sample lines of a file, and the line number of the first."""

    text: str
    first_line: int

    def lines(self) -> list[tuple[int, str]]:
        numbered = enumerate(self.text.splitlines(), start=self.first_line)
        return [(number, line) for number, line in numbered if line.strip()]


def _read_pfsense(path: Path, head: list[tuple[int, str]], body: _Body) -> Recording:
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
    calibration = _meta_calibration(path, values, line_of, len(layout.channels))
    expected = data_columns(layout.channels)
    header_line, header = head[-1]
    if header.startswith("#"):
        raise RecordingError(path, header_line, "no header line: expected " + ",".join(expected))
    if [h.strip() for h in header.split(",")] != expected:
        raise RecordingError(
            path, header_line, f"header is {header!r}: expected {','.join(expected)}"
        )
    data, numbers = _parse_table(path, body, len(expected), integer_from=2)
    batch = _pfsense_batch(path, numbers, data, len(layout.channels))
    return Recording(layout, rate_hz, calibration, batch, values, path)


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


def _parse_table(
    path: Path, body: _Body, width: int, integer_from: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The samples as a float array (n, width), and each row's line number.

    numpy's C parser reads well-formed files fast; anything it stumbles on is read again line by
    line to say exactly which line is wrong and how.
    """
    if not body.text.strip():
        return np.zeros((0, width)), np.zeros(0, np.int64)
    try:
        data = np.loadtxt(
            io.StringIO(body.text), delimiter=",", dtype=float, ndmin=2, comments=None
        )
    except ValueError:
        data = None
    rows = body.text.count("\n") + (0 if body.text.endswith("\n") else 1)
    well_formed = data is not None and data.shape[1:] == (width,) and len(data) == rows
    if well_formed and (integer_from is None or _whole(data[:, integer_from:])):
        return data, body.first_line + np.arange(len(data))
    return _parse_lines(path, body.lines(), width, integer_from)


def _whole(values: np.ndarray) -> bool:
    return bool(np.array_equal(values, np.round(values)))


def _parse_lines(
    path: Path, lines, width: int, integer_from: int | None
) -> tuple[np.ndarray, np.ndarray]:
    table = []
    for number, text in lines:
        cells = [cell.strip() for cell in next(csv.reader([text]))]
        if len(cells) != width:
            raise RecordingError(path, number, f"{len(cells)} fields: expected {width}")
        table.append([_number(path, number, cell, integer_from is not None and i >= integer_from)
                      for i, cell in enumerate(cells)])  # fmt: skip
    data = np.array(table, dtype=float).reshape(-1, width)
    return data, np.array([number for number, _ in lines], dtype=np.int64)


def _number(path: Path, line: int, text: str, whole: bool) -> float:
    try:
        return float(int(text)) if whole else float(text)
    except ValueError:
        kind = "a whole number" if whole and _is_float(text) else "a number"
        raise RecordingError(path, line, f"{text!r} is not {kind}") from None


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _pfsense_batch(path: Path, numbers: np.ndarray, data: np.ndarray, channels: int) -> Batch:
    if not len(data):
        raise RecordingError(path, None, "has a header but no samples")
    t_s, acquired_at, seq = data[:, 0], data[:, 1], data[:, 2]
    counts, flags = data[:, 3 : 3 + channels], data[:, 3 + channels :]
    _check_times(path, numbers, t_s, "t_s")
    _check_finite(path, numbers, acquired_at, "acquired_at")
    _check_range(path, numbers, seq, 0, SEQ_MODULO - 1, "seq")
    _check_range(path, numbers, counts, COUNTS_MIN, COUNTS_MAX, "counts (signed 24-bit)")
    _check_range(path, numbers, flags, 0, ALL_FLAGS, "flags")
    return Batch(
        t_s.copy(), acquired_at.copy(), seq.astype(np.uint16),
        counts.astype(COUNTS_DTYPE), flags.astype(FLAGS_DTYPE),
    )  # fmt: skip


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
            f"{label} {np.ravel(row).astype(np.int64).tolist()} out of range: "
            f"expected {low} to {high}",
        )


def _read_plain(
    path: Path, head: list[tuple[int, str]], body: _Body, plate_mm: tuple[float, float] | None
) -> Recording:
    header_line, header = head[-1]
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
    data, numbers = _parse_table(path, body, len(names))
    if not len(data):
        raise RecordingError(path, None, "has a header but no samples")
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
