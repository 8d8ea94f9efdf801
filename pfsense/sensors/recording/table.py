"""Lines of samples parsed into a structured array of numbers, naming the line of any cell that
is not one."""

import csv
import io
from pathlib import Path

import numpy as np

from pfsense.errors import RecordingError
from pfsense.sensors.recording.lines import _decoded


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
        try:
            cells = [cell.strip() for cell in next(csv.reader([line.rstrip("\r")]))]
        except csv.Error as error:  # a lone carriage return, which csv takes for a line end
            problem = "a carriage return inside the line" if "\r" in line else str(error)
            raise RecordingError(path, number, f"{problem}: expected one CSV row") from None
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
