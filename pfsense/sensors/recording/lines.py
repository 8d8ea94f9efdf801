"""A recording file's lines, read a block at a time and cut at line ends, and their decoding."""

from pathlib import Path
from typing import BinaryIO

import numpy as np

from pfsense.errors import RecordingError

READ_BYTES = 1 << 16
MAX_LINE_BYTES = 4096  # a recording's longest line is ~100 bytes; far longer is not a recording


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
