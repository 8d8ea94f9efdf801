"""Fixed blocks of samples (200 ms: 16 samples at 80 SPS): the slow stages (re-zero, rhythm,
holds, coverage) work on block summaries. Blocks follow the order of rows received, so the same
rows give the same blocks however they are batched."""

from dataclasses import dataclass

import numpy as np

from pfsense.columns import Columns

# Five blocks a second resolve strokes up to 90 a minute (crossings are interpolated within a
# block); fewer blocks make the sequential stages cheaper.
BLOCK_HZ = 5.0


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
    """Cuts a stream of rows into blocks of `size` rows; keeps the rows of the unfinished one.

    The rows go into one table that is reused (grown for a recording's larger chunks): live, a
    sample is a few assignments into it, not a new table stacked and joined every 12.5 ms."""

    def __init__(self, rate_hz: float, channels: int) -> None:
        self.size = max(1, round(rate_hz / BLOCK_HZ))
        self.channels = channels
        self._table = np.zeros((2 * self.size, 4 + channels))  # columns t, force, x, y, counts
        self._pending = 0  # rows of the unfinished block, at the table's start

    def join(self, t_s, force_n, x_mm, y_mm, counts) -> tuple[np.ndarray, int]:
        """The pending rows and these as one table (columns t, force, x, y, counts...), and how
        many of its rows were pending; say with `keep` which of its rows are left over. The
        table is a view of the blocker's own: valid until the next `join`."""
        pending, total = self._pending, self._pending + len(t_s)
        if total > len(self._table):
            grown = np.zeros((total, self._table.shape[1]))
            grown[:pending] = self._table[:pending]
            self._table = grown
        new = self._table[pending:total]
        new[:, 0], new[:, 1], new[:, 2], new[:, 3] = t_s, force_n, x_mm, y_mm
        new[:, 4:] = counts
        return self._table[:total], pending

    def keep(self, start: int, end: int) -> None:
        """Rows start..end of the last joined table are the unfinished block (fewer than
        `size`); they move to the table's start."""
        if start:
            self._table[: end - start] = self._table[start:end].copy()
        self._pending = end - start

    def take_pending(self) -> tuple[np.ndarray, np.ndarray]:
        """The unfinished block's times and forces, which will never make a block."""
        rows, self._pending = self._table[: self._pending].copy(), 0
        return rows[:, 0], rows[:, 1]


def summarise(rows: np.ndarray, size: int, channels: int) -> Blocks:
    """Block summaries of whole blocks of rows (columns t, force, x, y, counts...).

    Each column is reshaped to (blocks, size) on its own, so every reduction runs along
    contiguous memory.
    """

    def column(index: int) -> np.ndarray:
        return np.ascontiguousarray(rows[:, index]).reshape(-1, size)

    def mean(values: np.ndarray) -> np.ndarray:
        valid = ~np.isnan(values)
        with np.errstate(invalid="ignore", divide="ignore"):  # an all-NaN block's mean is NaN
            return np.where(valid, values, 0.0).sum(axis=1) / valid.sum(axis=1)

    def extremes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        missing = np.isnan(values)
        low = np.where(missing, np.inf, values).min(axis=1, initial=np.inf)
        high = np.where(missing, -np.inf, values).max(axis=1, initial=-np.inf)
        low[np.isinf(low)] = np.nan  # a block with no usable value has no extremes
        high[np.isinf(high)] = np.nan
        return low, high

    force, x, y = column(1), column(2), column(3)
    (_, force_max), (x_min, x_max), (y_min, y_max) = extremes(force), extremes(x), extremes(y)
    counts = np.column_stack([mean(column(4 + c)) for c in range(channels)])
    return Blocks(
        column(0)[:, -1], mean(force), force_max, mean(x), mean(y),
        x_min, x_max, y_min, y_max, counts.reshape(-1, channels),
    )  # fmt: skip
