"""Reading a recording: a whole one in memory (`read_recording`), or a chunk of rows at a time
(`open_recording`)."""

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np

from pfsense.calibration.model import Calibration
from pfsense.errors import ConfigError, RecordingError
from pfsense.sensors.batch import Batch
from pfsense.sensors.layout import Layout
from pfsense.sensors.recording.checks import _check_times
from pfsense.sensors.recording.lines import _decoded, _Lines
from pfsense.sensors.recording.pfsense_format import MAGIC, _pfsense_rows, _PfsenseRows
from pfsense.sensors.recording.plain_csv import RATE_ROWS, _plain_rows, _PlainRows
from pfsense.sensors.recording.table import _parse_table

CHUNK_ROWS = 4096  # rows a reader holds at a time, however long the file


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
        self.cut_short_lines = 0  # a last line cut short mid-write, left out (0 or 1)
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
            if number == 1:
                line = line.removeprefix("\ufeff")  # a spreadsheet's UTF-8 byte-order mark
            if not line.strip():
                continue
            head.append((number, line))
            if not line.startswith("#"):
                break
        return head

    def _parsed(self, first: int, count: int, raw: bytes) -> tuple[np.ndarray, np.ndarray]:
        """Lines parsed; a last line cut short (no newline at the end of the file: the disk
        filled, or the power went, mid-write) is left out and counted, not refused. pfsense
        ends every line it writes, so in its own format such a line is always cut short; in a
        plain CSV only if it does not parse (a spreadsheet may leave off the last newline)."""
        cut = self._lines.at_end and raw and not raw.endswith(b"\n")
        if cut and isinstance(self._rows, _PfsenseRows):
            return self._without_last(first, count, raw)
        try:
            return _parse_table(self.path, first, count, raw, self._rows.dtype)
        except RecordingError as error:
            if not cut or error.line != first + count - 1:
                raise
            return self._without_last(first, count, raw)

    def _without_last(self, first: int, count: int, raw: bytes) -> tuple[np.ndarray, np.ndarray]:
        self.cut_short_lines += 1
        return _parse_table(
            self.path, first, count - 1, raw[: raw.rfind(b"\n") + 1], self._rows.dtype
        )

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
            numbers, table = self._parsed(*taken)
            if len(table):
                t_s = table["t_s"]
                _check_times(self.path, numbers, t_s, self._rows.time_label, self._last_t_s)
                self._last_t_s = float(t_s[-1])
                return numbers, table
        return None
