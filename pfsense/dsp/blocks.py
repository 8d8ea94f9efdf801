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
    """Cuts a stream of rows into blocks of `size` rows and summarises each completed block."""

    def __init__(self, rate_hz: float, channels: int) -> None:
        self.size = max(1, round(rate_hz / BLOCK_HZ))
        self.channels = channels
        self._pending = np.zeros((0, 4 + channels))  # rows of the unfinished block

    @property
    def pending_rows(self) -> int:
        return len(self._pending)

    def preview(self, t_s, force_n, x_mm, y_mm, counts) -> Blocks | None:
        """The blocks these rows would complete (None if none), without taking them."""
        if len(self._pending) + len(t_s) < self.size:
            return None  # the common case live: nothing to summarise yet
        return self._blocks(self._columns(t_s, force_n, x_mm, y_mm, counts))[0]

    def add(self, t_s, force_n, x_mm, y_mm, counts) -> None:
        """Take rows (their completed blocks were seen with `preview`)."""
        if not len(t_s):
            return
        columns = self._columns(t_s, force_n, x_mm, y_mm, counts)
        self._pending = columns[len(columns) // self.size * self.size :]

    def _columns(self, t_s, force_n, x_mm, y_mm, counts) -> np.ndarray:
        columns = np.column_stack([t_s, force_n, x_mm, y_mm, counts])
        return np.concatenate([self._pending, columns]) if len(self._pending) else columns

    def _blocks(self, columns: np.ndarray) -> tuple[Blocks, np.ndarray]:
        complete = len(columns) // self.size * self.size
        return summarise(columns[:complete], self.size, self.channels), columns[complete:]


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
