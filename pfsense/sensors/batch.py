"""A batch of samples: what every sensor driver yields."""

from dataclasses import dataclass
from typing import Any

import numpy as np

from pfsense.sensors.adc import COUNTS_DTYPE
from pfsense.sensors.flags import FLAGS_DTYPE

SEQ_MODULO = 1 << 16  # the sequence number wraps at 16 bits, as on the Pico link


@dataclass(frozen=True, eq=False)
class Batch:
    """n samples of `channels` cells.

    t_s: (n,) float64, seconds on the acquisition side's monotonic clock, increasing.
    acquired_at: (n,) float64, Unix seconds when each sample was acquired.
    seq: (n,) uint16, +1 per conversion, wrapping; a gap means samples were lost.
    counts: (n, channels) int32, raw signed 24-bit readings.
    flags: (n, channels) uint8, SampleFlag bits.
    truth: what really happened (simulator only), aligned with the rows; None for hardware.
    """

    t_s: np.ndarray
    acquired_at: np.ndarray
    seq: np.ndarray
    counts: np.ndarray
    flags: np.ndarray
    truth: Any = None

    def __len__(self) -> int:
        return len(self.t_s)

    @property
    def channels(self) -> int:
        return self.counts.shape[1]

    def select(self, rows) -> "Batch":
        """The rows picked by a slice, index array or boolean mask (truth too)."""
        truth = self.truth.select(rows) if self.truth is not None else None
        return Batch(
            self.t_s[rows],
            self.acquired_at[rows],
            self.seq[rows],
            self.counts[rows],
            self.flags[rows],
            truth,
        )

    def acquired_since(self, unix_s: float) -> "Batch":
        """The rows acquired at or after `unix_s`: what came after a person said "now", not the
        backlog a sensor (or a serial port's buffer) built up while they were at the prompt."""
        keep = self.acquired_at >= unix_s
        return self if keep.all() else self.select(keep)

    @classmethod
    def empty(cls, channels: int) -> "Batch":
        return cls(
            np.zeros(0),
            np.zeros(0),
            np.zeros(0, np.uint16),
            np.zeros((0, channels), COUNTS_DTYPE),
            np.zeros((0, channels), FLAGS_DTYPE),
        )

    @classmethod
    def concat(cls, batches: list["Batch"]) -> "Batch":
        """One batch from several, in order (truth is joined too when every batch has it)."""
        truths = [batch.truth for batch in batches]
        truth = truths[0].concat(truths) if truths and all(t is not None for t in truths) else None
        return cls(
            np.concatenate([b.t_s for b in batches]),
            np.concatenate([b.acquired_at for b in batches]),
            np.concatenate([b.seq for b in batches]),
            np.concatenate([b.counts for b in batches]),
            np.concatenate([b.flags for b in batches]),
            truth,
        )


def seq_gaps(seq: np.ndarray, previous: int | None = None) -> np.ndarray:
    """Samples lost before each sample, from the 16-bit wrapping sequence numbers.

    >>> seq_gaps(np.array([65534, 65535, 1])).tolist()
    [0, 0, 1]
    """
    seq = np.asarray(seq, dtype=np.int64)
    before = (
        np.concatenate([[seq[0] - 1 if previous is None else previous], seq[:-1]])
        if len(seq)
        else seq
    )
    return (seq - before - 1) % SEQ_MODULO


def lost_before(seq: np.ndarray, previous: int | None = None) -> int:
    """How many samples were lost before and between these (seq_gaps summed): live, a batch is
    one or two samples, which plain integers count quicker than arrays.

    >>> lost_before(np.array([65535, 1], np.uint16), 65533), lost_before(np.array([5], np.uint16))
    (2, 0)
    """
    if len(seq) > 2:
        return int(seq_gaps(seq, previous).sum())
    lost, last = 0, previous
    for value in seq.tolist():
        if last is not None:
            lost += (value - last - 1) % SEQ_MODULO
        last = value
    return lost
