"""The Pi's side of the Pico line protocol (the encoder is firmware/pico/lib/pfsense_pico/link.py):

    $<seq>,<t_us>,<count 0>,...,<count n-1>,<flags>*<crc16>\\n

`parse_line` gives a Frame, a note (a '#' line), or raises LinkError saying what is wrong with the
line. `SequenceCheck` decides what a frame's sequence number means: next, a gap (frames lost),
a duplicate or one out of order (dropped), or a restart of the Pico.
"""

import binascii
from dataclasses import dataclass

from pfsense.errors import SensorError
from pfsense.sensors.batch import SEQ_MODULO

MAX_LINE_BYTES = 200  # 4 channels of 24-bit counts fit in ~60; more is garbage
# A frame this far behind the last one came late; further behind, the Pico started again.
LATE_FRAMES = 16
LATE_WINDOW_US = 200_000


class LinkError(SensorError, ValueError):
    """A line that is not a valid frame."""


@dataclass(frozen=True)
class Frame:
    seq: int
    t_us: int
    counts: tuple[int, ...]
    flags: tuple[int, ...]


def parse_line(line: bytes, channels: int) -> Frame | str:
    """A frame, or the text of a '#' note.

    >>> parse_line(b"$7,1000,-5,12,04*dda2", 2)
    Frame(seq=7, t_us=1000, counts=(-5, 12), flags=(0, 4))
    >>> parse_line(b"# pfsense-pico v1 channels=2 rate=80", 2)
    'pfsense-pico v1 channels=2 rate=80'
    """
    line = line.strip()
    if line.startswith(b"#"):
        return line[1:].decode("ascii", "replace").strip()
    if not line.startswith(b"$") or b"*" not in line:
        raise LinkError(f"not a frame: {line[:40]!r}")
    payload, _, crc_text = line[1:].rpartition(b"*")
    try:
        crc = int(crc_text, 16)
    except ValueError:
        raise LinkError(f"bad CRC field {crc_text[:8]!r}") from None
    if binascii.crc_hqx(payload, 0xFFFF) != crc:
        raise LinkError("CRC mismatch: the line was corrupted on the way")
    fields = payload.split(b",")
    if len(fields) != channels + 3:
        raise LinkError(f"{len(fields) - 3} channels in a frame, expected {channels}")
    try:
        seq, t_us = int(fields[0]), int(fields[1])
        counts = tuple(int(value) for value in fields[2:-1])
        flags = tuple(int(digit, 16) for digit in fields[-1].decode())
    except (ValueError, UnicodeDecodeError):
        raise LinkError(f"a field is not a number: {payload[:40]!r}") from None
    if len(flags) != channels or not 0 <= seq < SEQ_MODULO:
        raise LinkError(f"bad sequence or flags in {payload[:40]!r}")
    return Frame(seq, t_us, counts, flags)


class SequenceCheck:
    """What each frame's sequence number means, with counts of what was not kept. A frame a little
    behind the last (a few frames, a fraction of a second) came late; one further behind, or whose
    clock went back further, is from a Pico that started again (a reset)."""

    def __init__(self) -> None:
        self.last: int | None = None
        self.last_t_us = 0
        self.duplicates = 0
        self.late = 0
        self.restarts = 0

    def accept(self, seq: int, t_us: int) -> str:
        """ "next", "gap", "restart" (keep the frame) or "duplicate", "late" (drop it).

        >>> check, t0 = SequenceCheck(), 9_000_000
        >>> frames = [(5, t0), (6, t0 + 12500), (6, t0 + 12500), (9, t0 + 50000), (8, t0 + 37500)]
        >>> [check.accept(seq, t_us) for seq, t_us in frames + [(0, 1000)]]
        ['next', 'next', 'duplicate', 'gap', 'late', 'restart']
        """
        if self.last is None:
            return self._keep(seq, t_us, "next")
        ahead = (seq - self.last) % SEQ_MODULO
        behind = SEQ_MODULO - ahead
        if t_us < self.last_t_us - LATE_WINDOW_US or (
            ahead > SEQ_MODULO // 2 and behind > LATE_FRAMES
        ):
            self.restarts += 1
            return self._keep(seq, t_us, "restart")
        if ahead == 0:
            self.duplicates += 1
            return "duplicate"
        if ahead > SEQ_MODULO // 2:
            self.late += 1
            return "late"
        return self._keep(seq, t_us, "next" if ahead == 1 else "gap")

    def _keep(self, seq: int, t_us: int, kind: str) -> str:
        self.last, self.last_t_us = seq, t_us
        return kind
