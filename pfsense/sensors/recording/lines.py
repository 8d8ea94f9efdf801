"""A recording file's lines, read a block at a time and cut at line ends, and their decoding."""

from pathlib import Path
from typing import BinaryIO

import numpy as np

from pfsense.errors import RecordingError

READ_BYTES = 1 << 16
# A recording's longest line is ~100 bytes; far longer is not a recording. Every line, head or
# data, wherever it falls in the file, is held to this (so no more than a block is ever held).
MAX_LINE_BYTES = 4096


class _Lines:
    """The lines of a binary file, read a block at a time and handed out a few whole lines at a
    time, each piece with the number of its first line."""

    def __init__(self, path: Path, file: BinaryIO) -> None:
        self._path = path
        self._file = file
        self._blocks: list[bytes] = []
        self._offset = 0  # into the first block: what is before it was taken
        self._newlines = 0  # in the blocks held, from the offset
        self._open_bytes = 0  # after the last newline held: the line being read
        self._eof = False
        self._next_line = 1
        self.joins = 0  # how often held blocks were joined into one: at most once per block read

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
        if len(self._blocks) == 1:
            held, start = self._blocks[0], self._offset
        else:  # what is left of the first block and the blocks read since, copied once
            held, start = b"".join([self._blocks[0][self._offset :], *self._blocks[1:]]), 0
            self.joins += 1
        if self._newlines >= rows:
            cut = _after_newline(held, start, rows)
            lines, newlines = rows, rows
        else:  # the end of the file, whose last line may have no newline
            cut = len(held)
            lines, newlines = self._newlines + (not held.endswith(b"\n")), self._newlines
        self._blocks, self._offset = ([held], cut) if cut < len(held) else ([], 0)
        self._newlines -= newlines
        first, self._next_line = self._next_line, self._next_line + lines
        return first, lines, held[start:cut]

    def _read_block(self) -> None:
        block = self._file.read(READ_BYTES)
        if not block:
            self._eof = True
            return
        ends = np.flatnonzero(np.frombuffer(block, np.uint8) == ord("\n"))
        if len(ends):  # the bytes of each line ended in the block, and of the one left open
            lengths = np.diff(ends, prepend=-1 - self._open_bytes) - 1
            self._open_bytes = len(block) - 1 - int(ends[-1])
        else:
            lengths = ends
            self._open_bytes += len(block)
        too_long = np.flatnonzero(np.append(lengths, self._open_bytes) > MAX_LINE_BYTES)
        if len(too_long):  # not CSV: never hold a whole file of one line
            raise RecordingError(
                self._path,
                self._next_line + self._newlines + int(too_long[0]),
                f"a line over {MAX_LINE_BYTES} bytes long: expected a CSV recording",
            )
        self._blocks.append(block)
        self._newlines += len(ends)


def _after_newline(data: bytes, start: int, count: int) -> int:
    """The position just after the `count`-th newline in `data` from `start` (which has at least
    that many): found one by one for a few (as the head is read, a line at a time), with numpy
    for many."""
    if count <= 8:
        position = start - 1
        for _ in range(count):
            position = data.find(b"\n", position + 1)
        return position + 1
    newlines = np.flatnonzero(np.frombuffer(data, np.uint8, offset=start) == ord("\n"))
    return start + int(newlines[count - 1]) + 1


def _decoded(path: Path, first_line: int, raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = first_line + raw.count(b"\n", 0, error.start)
        raise RecordingError(path, line, "not a text file: expected a CSV recording") from None
