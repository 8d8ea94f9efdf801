"""Fixed blocks of samples (100 ms at 80 SPS): the slow stages (re-zero, rhythm, holds, coverage)
work on block summaries. Blocks follow the order of rows received, so the same rows give the same
blocks however they are batched."""

from dataclasses import dataclass

import numpy as np

from pfsense.columns import Columns

BLOCK_HZ = 10.0


@dataclass(frozen=True, eq=False)
class Blocks(Columns):
    """Summaries of completed blocks; NaN where a block had no usable sample."""

    t_s: np.ndarray  # time of the block's last row
    force_n: np.ndarray  # mean total force
    force_max_n: np.ndarray
    x_mm: np.ndarray  # mean position (NaN without a plate or without contact)
    y_mm: np.ndarray
    x_min_mm: np.ndarray
    x_max_mm: np.ndarray
    y_min_mm: np.ndarray
    y_max_mm: np.ndarray
    counts: np.ndarray  # (n, ch) mean raw counts of usable samples


class Blocker:
    """Cuts a stream of rows into blocks of `size` rows and summarises each completed block."""

    def __init__(self, rate_hz: float, channels: int) -> None:
        self.size = max(1, round(rate_hz / BLOCK_HZ))
        self.channels = channels
        self._pending = np.zeros((0, 4 + channels))  # rows of the unfinished block

    @property
    def pending_rows(self) -> int:
        return len(self._pending)

    def preview(self, t_s, force_n, x_mm, y_mm, counts) -> Blocks:
        """The blocks these rows would complete, without taking them."""
        return self._blocks(self._columns(t_s, force_n, x_mm, y_mm, counts))[0]

    def add(self, t_s, force_n, x_mm, y_mm, counts) -> Blocks:
        """Take rows; return the blocks they complete (possibly none)."""
        blocks, self._pending = self._blocks(self._columns(t_s, force_n, x_mm, y_mm, counts))
        return blocks

    def _columns(self, t_s, force_n, x_mm, y_mm, counts) -> np.ndarray:
        columns = np.column_stack([t_s, force_n, x_mm, y_mm, counts])
        return np.concatenate([self._pending, columns]) if len(self._pending) else columns

    def _blocks(self, columns: np.ndarray) -> tuple[Blocks, np.ndarray]:
        complete = len(columns) // self.size * self.size
        whole = columns[:complete].reshape(-1, self.size, columns.shape[1])
        return summarise(whole, self.channels), columns[complete:]


def summarise(blocks: np.ndarray, channels: int) -> Blocks:
    """Block summaries from (blocks, size, columns) with columns t, force, x, y, counts..."""
    valid = ~np.isnan(blocks)
    with np.errstate(invalid="ignore", divide="ignore"):  # an all-NaN block's mean is NaN
        mean = np.where(valid, blocks, 0.0).sum(axis=1) / valid.sum(axis=1)
    low = np.fmin.reduce(blocks[:, :, 1:4], axis=1) if len(blocks) else np.zeros((0, 3))
    high = np.fmax.reduce(blocks[:, :, 1:4], axis=1) if len(blocks) else np.zeros((0, 3))
    last_t_s = blocks[:, -1, 0] if len(blocks) else np.zeros(0)
    return Blocks(
        last_t_s, mean[:, 1], high[:, 0], mean[:, 2], mean[:, 3],
        low[:, 1], high[:, 1], low[:, 2], high[:, 2], mean[:, 4 : 4 + channels],
    )  # fmt: skip
