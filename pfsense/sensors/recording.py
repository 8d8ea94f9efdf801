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

`open_recording` reads a file a chunk of rows at a time, checking every row as it comes, so that
memory is bounded by the chunk and not by the file; `read_recording` is the whole file at once.
"""

import csv
import datetime as dt
import io
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, TextIO

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
CHUNK_ROWS = 4096  # rows a reader holds at a time, however long the file
RATE_ROWS = 4096  # a plain CSV's rate is the median interval of its first rows
READ_BYTES = 1 << 16
MAX_LINE_BYTES = 4096  # a recording's longest line is ~100 bytes; far longer is not a recording
TAIL_BYTES = 4096  # enough to hold a plain CSV's last line


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

    def __iter__(self) -> Iterator[Batch]:
        """Its samples as one batch, where a RecordingReader gives them a chunk at a time."""
        yield self.batch


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
    """A whole recording in memory (for the replay sensor), read through `open_recording`."""
    with open_recording(path, plate_mm) as reader:
        batch = Batch.concat(list(reader))
    return Recording(
        reader.layout, reader.rate_hz, reader.calibration, batch, reader.meta, reader.path
    )


def open_recording(
    path: str | os.PathLike,
    plate_mm: tuple[float, float] | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> "RecordingReader":
    """A pfsense recording or a plain newton CSV, opened to be read a chunk at a time. The head
    (metadata, header) and the first rows are read and checked now; a file that is not a
    recording raises RecordingError here. `plate_mm` sizes a plain four-cell CSV.

    >>> with open_recording(path) as recording:  # doctest: +SKIP
    ...     for batch in recording:  # at most chunk_rows rows each
    ...         processor.process(batch)
    """
    if chunk_rows < 1:
        raise ConfigError(f"chunk_rows {chunk_rows}: expected at least one row")
    path = Path(path)
    try:
        file = open(path, "rb")  # noqa: SIM115 (the reader closes it)
    except FileNotFoundError:
        raise RecordingError(path, None, "no such file") from None
    except OSError as error:
        raise RecordingError(path, None, f"cannot read: {error.strerror}") from None
    try:
        return RecordingReader(path, file, plate_mm, chunk_rows)
    except BaseException:
        file.close()
        raise


class RecordingReader:
    """An open recording: its layout, rate, calibration and metadata (from the head), and its
    samples as batches of at most `chunk_rows` rows, read as they are iterated over (one pass).

    Each row is checked as it is read, so a bad line late in a file raises RecordingError, naming
    its line, only when it is reached: what must not act on half a file (an import) acts after
    the last batch. Close it, or use it in a `with` block."""

    def __init__(
        self,
        path: Path,
        file: BinaryIO,
        plate_mm: tuple[float, float] | None,
        chunk_rows: int,
    ) -> None:
        self.path = path
        self.chunk_rows = chunk_rows
        self.samples = 0  # rows handed out so far
        self._file = file
        self._lines = _Lines(path, file)
        self._last_t_s: float | None = None
        head = self._head()
        if not head:
            raise RecordingError(
                path,
                None,
                "the file is empty: expected a pfsense recording or a CSV with header t,force",
            )
        if head[0][1].strip() == MAGIC:
            self._rows: _PfsenseRows | _PlainRows = _pfsense_rows(path, head)
            ahead = self._first_table(chunk_rows)
        else:
            self._rows = _plain_rows(path, head, plate_mm)
            ahead = self._first_table(RATE_ROWS)
            self._rows.start(file, ahead[1]["t_s"], self._lines.at_end)
        self.layout: Layout = self._rows.layout
        self.rate_hz: float = self._rows.rate_hz
        self.calibration: Calibration = self._rows.calibration
        self.meta: dict = self._rows.meta
        self._ahead: Batch | None = self._rows.batch(path, *ahead)

    def __iter__(self) -> Iterator[Batch]:
        if self._ahead is not None:  # the rows read when opening, in chunks like the rest
            ahead, self._ahead = self._ahead, None
            for start in range(0, len(ahead), self.chunk_rows):
                yield self._counted(ahead.select(slice(start, start + self.chunk_rows)))
        while (table := self._table(self.chunk_rows)) is not None:
            yield self._counted(self._rows.batch(self.path, *table))

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> "RecordingReader":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _counted(self, batch: Batch) -> Batch:
        self.samples += len(batch)
        return batch

    def _head(self) -> list[tuple[int, str]]:
        """The numbered lines up to and including the first that is neither blank nor a comment
        (the header); blank lines are skipped."""
        head = []
        while (taken := self._lines.take(1)) is not None:
            number, _, raw = taken
            line = _decoded(self.path, number, raw).rstrip("\n").rstrip("\r")
            if not line.strip():
                continue
            head.append((number, line))
            if not line.startswith("#"):
                break
        return head

    def _first_table(self, rows: int) -> tuple[np.ndarray, np.ndarray]:
        table = self._table(rows)
        if table is None:
            raise RecordingError(self.path, None, "has a header but no samples")
        return table

    def _table(self, rows: int) -> tuple[np.ndarray, np.ndarray] | None:
        """The next rows that hold samples, as their line numbers and a structured array of the
        format's dtype, their times checked against each other and the rows before; None at
        the end."""
        while (taken := self._lines.take(rows)) is not None:
            numbers, table = _parse_table(self.path, *taken, self._rows.dtype)
            if len(table):
                t_s = table["t_s"]
                _check_times(self.path, numbers, t_s, self._rows.time_label, self._last_t_s)
                self._last_t_s = float(t_s[-1])
                return numbers, table
        return None


class _Lines:
    """The lines of a binary file, read a block at a time and handed out a few whole lines at a
    time, each piece with the number of its first line."""

    def __init__(self, path: Path, file: BinaryIO) -> None:
        self._path = path
        self._file = file
        self._blocks: list[bytes] = []
        self._newlines = 0  # in the blocks held
        self._open_bytes = 0  # after the last newline held: the line being read
        self._eof = False
        self._next_line = 1

    @property
    def at_end(self) -> bool:
        return self._eof and not self._blocks

    def take(self, rows: int) -> tuple[int, int, bytes] | None:
        """The number of the first of the next `rows` lines (fewer at the end of the file), how
        many there are, and the lines as bytes; None once every line is taken."""
        while self._newlines < rows and not self._eof:
            self._read_block()
        if not self._blocks:
            return None
        held = b"".join(self._blocks)
        if self._newlines >= rows:
            cut = _after_newline(held, rows)
            lines, newlines = rows, rows
        else:  # the end of the file, whose last line may have no newline
            cut = len(held)
            lines, newlines = self._newlines + (not held.endswith(b"\n")), self._newlines
        self._blocks = [held[cut:]] if cut < len(held) else []
        self._newlines -= newlines
        first, self._next_line = self._next_line, self._next_line + lines
        return first, lines, held[:cut]

    def _read_block(self) -> None:
        block = self._file.read(READ_BYTES)
        if not block:
            self._eof = True
            return
        newlines = block.count(b"\n")
        self._open_bytes = (
            len(block) - 1 - block.rfind(b"\n") if newlines else self._open_bytes + len(block)
        )
        if self._open_bytes > MAX_LINE_BYTES:  # not CSV: never hold a whole file of one line
            raise RecordingError(
                self._path,
                self._next_line + self._newlines + newlines,
                f"a line over {MAX_LINE_BYTES} bytes long: expected a CSV recording",
            )
        self._blocks.append(block)
        self._newlines += newlines


def _after_newline(data: bytes, count: int) -> int:
    """The position just after the `count`-th newline in `data` (which has at least that many)."""
    return int(np.flatnonzero(np.frombuffer(data, np.uint8) == ord("\n"))[count - 1]) + 1


def _decoded(path: Path, first_line: int, raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = first_line + raw.count(b"\n", 0, error.start)
        raise RecordingError(path, line, "not a text file: expected a CSV recording") from None


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
    try:
        return Calibration(
            numbers["offset_counts"],
            numbers["counts_per_n"],
            values.get("calibration_source", "recording"),
        )
    except ConfigError as error:
        raise RecordingError(path, line_of["counts_per_n"], str(error)) from None


@dataclass
class _PlainRows:
    """How rows of a plain newton CSV become batches: counts at PLAIN_COUNTS_PER_N, sequence
    numbers counted from the first row, and acquisition times that end when the file was last
    written (as a recording ends), which needs the last row's time (see `start`)."""

    layout: Layout
    calibration: Calibration
    time_label: str = "t"
    meta: dict = field(default_factory=lambda: {"format": "plain newtons"})
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
        is not a row is reported when it is reached, before any batch is of use)."""
        self.rate_hz = _plain_rate_hz(first_t_s)
        self.ended_at = os.fstat(file.fileno()).st_mtime
        last_t_s = None if at_end else _last_time_s(file)
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
    try:
        layout = make_layout(PLAIN_HEADERS[names], plate_mm)
    except ConfigError as error:
        raise RecordingError(path, None, str(error)) from None
    channels = len(layout.channels)
    calibration = Calibration((0.0,) * channels, (PLAIN_COUNTS_PER_N,) * channels, "plain newtons")
    return _PlainRows(layout, calibration)


def _plain_rate_hz(t_s: np.ndarray) -> float:
    return 1.0 / float(np.median(np.diff(t_s[:RATE_ROWS]))) if len(t_s) > 1 else 1.0


def _last_time_s(file: BinaryIO) -> float | None:
    """The time (first cell) of a file's last non-blank line, if it is a finite number. The
    file's position is put back where the reader had it."""
    position = file.tell()
    start = max(0, file.seek(0, os.SEEK_END) - TAIL_BYTES)
    file.seek(start)
    tail = file.read(TAIL_BYTES)
    file.seek(position)
    lines = [line for line in tail.split(b"\n") if line.strip()]
    if not lines or (start > 0 and len(lines) == 1):  # only part of a line
        return None
    try:
        t_s = float(lines[-1].split(b",")[0])
    except ValueError:
        return None
    return t_s if math.isfinite(t_s) else None


def _parse_table(
    path: Path, first_line: int, rows: int, raw: bytes, dtype: np.dtype
) -> tuple[np.ndarray, np.ndarray]:
    """`rows` lines of samples as their line numbers and a structured array of `dtype`; blank
    lines are skipped.

    numpy's C parser reads well-formed lines fast; anything it stumbles on is read again line by
    line to say exactly which line is wrong and how.
    """
    text = _decoded(path, first_line, raw)
    if not text.strip():
        return np.zeros(0, np.int64), np.zeros(0, dtype)
    try:
        table = np.loadtxt(io.StringIO(text), delimiter=",", dtype=dtype, ndmin=1, comments=None)
    except (ValueError, OverflowError):
        table = None
    if table is not None and len(table) == rows:  # no blank line, none misread
        return first_line + np.arange(rows), table
    return _parse_lines(path, first_line, text, dtype)


def _parse_lines(
    path: Path, first_line: int, text: str, dtype: np.dtype
) -> tuple[np.ndarray, np.ndarray]:
    widths = [int(np.prod(dtype[name].shape)) for name in dtype.names]
    whole = np.repeat([dtype[name].base.kind == "i" for name in dtype.names], widths).tolist()
    numbers, table = [], []
    for number, line in enumerate(text.split("\n"), start=first_line):
        if not line.strip():
            continue
        cells = [cell.strip() for cell in next(csv.reader([line.rstrip("\r")]))]
        if len(cells) != len(whole):
            raise RecordingError(path, number, f"{len(cells)} fields: expected {len(whole)}")
        table.append([_number(path, number, cell, is_whole)
                      for cell, is_whole in zip(cells, whole, strict=True)])  # fmt: skip
        numbers.append(number)
    values = np.array(table, dtype=float).reshape(-1, len(whole))
    # Whole numbers too big for int64 stay too big (for the range checks) but are not garbled.
    values[:, whole] = np.clip(values[:, whole], -(2.0**62), 2.0**62)
    return np.array(numbers, dtype=np.int64), _structured(values, dtype)


def _structured(values: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Rows of numbers (n, fields) as a structured array (numpy.lib.recfunctions would do, but
    costs `pfsense analyze` its numpy.ma import)."""
    table = np.empty(len(values), dtype)
    column = 0
    for name in dtype.names:
        width = int(np.prod(dtype[name].shape))
        table[name] = values[:, column : column + width].reshape(table[name].shape)
        column += width
    return table


def _number(path: Path, line: int, text: str, whole: bool) -> float:
    """A cell's number; a whole one where `whole` (as the fast path reads them: 5.0 is 5)."""
    try:
        value = float(text)
    except ValueError:
        raise RecordingError(path, line, f"{text!r} is not a number") from None
    if whole and not value.is_integer():
        raise RecordingError(path, line, f"{text!r} is not a whole number")
    return value


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
