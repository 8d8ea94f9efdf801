"""Plain CSVs in newtons (header t,force or t,fl,fr,rl,rr): how their rows become batches.

A plain CSV's rate is taken from the median interval of its first 4,096 rows (RATE_ROWS).
"""

import csv
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np

from pfsense.calibration.model import Calibration
from pfsense.errors import ConfigError, RecordingError
from pfsense.sensors.adc import COUNTS_DTYPE, COUNTS_MAX, COUNTS_MIN
from pfsense.sensors.batch import SEQ_MODULO, Batch
from pfsense.sensors.flags import FLAGS_DTYPE
from pfsense.sensors.layout import Layout, make_layout
from pfsense.sensors.recording.checks import RATE_RANGE_HZ, _check_finite, rate_in_range
from pfsense.sensors.recording.lines import MAX_LINE_BYTES

PLAIN_HEADERS = {("t", "force"): "single", ("t", "fl", "fr", "rl", "rr"): "plate4"}
PLAIN_COUNTS_PER_N = 1000.0  # plain CSVs in newtons become counts at 1 mN per count
PLAIN_FORMAT = "plain newtons"  # a plain CSV's meta["format"] and calibration source
RATE_ROWS = 4096  # a plain CSV's rate is the median interval of its first rows
TAIL_BYTES = 4096  # the file's end is read back this much at a time for its last line


@dataclass
class _PlainRows:
    """How rows of a plain newton CSV become batches: counts at PLAIN_COUNTS_PER_N, sequence
    numbers counted from the first row, and acquisition times that end when the file was last
    written (as a recording ends), which needs the last row's time (see `start`)."""

    layout: Layout
    calibration: Calibration
    path: Path
    time_label: str = "t"
    meta: dict = field(default_factory=lambda: {"format": PLAIN_FORMAT})
    rate_hz: float = 1.0
    ended_at: float = 0.0
    last_t_s: float = 0.0
    rows: int = 0  # converted so far

    @property
    def dtype(self) -> np.dtype:
        return np.dtype([("t_s", float), ("force_n", float, (len(self.layout.channels),))])

    def start(self, file: BinaryIO, first_t_s: np.ndarray, at_end: bool) -> None:
        """The rate, from `first_t_s`, the times of the first (up to RATE_ROWS) rows, and the
        end: the last of those times if `at_end`, else the time on the file's last line (one that
        is not a row is reported when it is reached, before any batch is of use). A file that
        cannot seek (a pipe) has no last line to look at: the rows read so far end when it was
        last written, and the rest follow on."""
        self.rate_hz = _plain_rate_hz(first_t_s)
        low, high = RATE_RANGE_HZ
        if len(first_t_s) > 1 and not rate_in_range(self.rate_hz):
            raise RecordingError(
                self.path,
                None,
                f"its rows are {1 / self.rate_hz:.6g} s apart (the median of the first "
                f"{min(len(first_t_s), RATE_ROWS):,}), {self.rate_hz:.6g} Hz: expected a steady "
                f"rate of {low:g} to {high:g} Hz",
            )
        self.ended_at = os.fstat(file.fileno()).st_mtime
        last_t_s = None if at_end or not file.seekable() else _last_time_s(file)
        self.last_t_s = float(first_t_s[-1]) if last_t_s is None else last_t_s

    def batch(self, path: Path, numbers: np.ndarray, table: np.ndarray) -> Batch:
        _check_finite(path, numbers, table["force_n"], "force")
        counts = self.calibration.counts(table["force_n"])
        beyond = np.flatnonzero(((counts > COUNTS_MAX) | (counts < COUNTS_MIN)).any(axis=1))
        if len(beyond):
            limit_n = COUNTS_MAX / PLAIN_COUNTS_PER_N
            raise RecordingError(
                path,
                int(numbers[beyond[0]]),
                f"a force is beyond +/-{limit_n:g} N: expected newtons",
            )
        t_s = np.ascontiguousarray(table["t_s"])
        seq = ((self.rows + np.arange(len(t_s))) % SEQ_MODULO).astype(np.uint16)
        self.rows += len(t_s)
        acquired_at = self.ended_at - (self.last_t_s - t_s)
        return Batch(
            t_s, acquired_at, seq, counts.astype(COUNTS_DTYPE), np.zeros(counts.shape, FLAGS_DTYPE)
        )


def _plain_rows(
    path: Path, head: list[tuple[int, str]], plate_mm: tuple[float, float] | None
) -> _PlainRows:
    header_line, header = head[-1]
    names = tuple(name.strip().lower() for name in header.split(","))
    if names not in PLAIN_HEADERS:
        raise RecordingError(
            path,
            header_line,
            f"header is {header!r}: expected a pfsense recording, "
            "'t,force' (s, N) or 't,fl,fr,rl,rr' (s, N per corner)",
        )
    if PLAIN_HEADERS[names] == "plate4" and plate_mm is None:
        # Without it every centre of pressure would be off by the ratio to a guessed size.
        raise RecordingError(
            path,
            header_line,
            "a plain four-cell CSV does not say how far apart its cells are: give the plate "
            "size, between the cells' centres in mm (--plate-mm 300 400 on the command line; "
            "the plate size field when importing on the therapist page)",
        )
    try:
        layout = make_layout(PLAIN_HEADERS[names], plate_mm)
    except ConfigError as error:
        raise RecordingError(path, None, str(error)) from None
    channels = len(layout.channels)
    calibration = Calibration((0.0,) * channels, (PLAIN_COUNTS_PER_N,) * channels, PLAIN_FORMAT)
    return _PlainRows(layout, calibration, path)


def _plain_rate_hz(t_s: np.ndarray) -> float:
    return 1.0 / float(np.median(np.diff(t_s[:RATE_ROWS]))) if len(t_s) > 1 else 1.0


def _last_time_s(file: BinaryIO) -> float | None:
    """The time (first cell, read as a row's is) of a file's last non-blank line, if it is a
    finite number. The file is read back from its end TAIL_BYTES at a time, past any number of
    blank lines; its position is put back where the reader had it."""
    position = file.tell()
    end = file.seek(0, os.SEEK_END)
    tail = b""
    while end > 0 and b"\n" not in tail and len(tail) <= MAX_LINE_BYTES:
        start = max(0, end - TAIL_BYTES)
        file.seek(start)
        tail = (file.read(end - start) + tail).rstrip()  # blank lines are dropped as they come
        end = start
    file.seek(position)
    if not tail or (end > 0 and b"\n" not in tail):  # none, or a line too long (refused later)
        return None
    line = tail.rsplit(b"\n", 1)[-1].decode("utf-8", "replace")
    try:
        t_s = float(next(csv.reader([line]))[0].strip())
    except (csv.Error, ValueError):
        return None
    return t_s if math.isfinite(t_s) else None
