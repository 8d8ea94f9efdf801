"""Fixed-bin histograms: bounded memory for quantiles of a whole session, online or offline."""

import bisect

import numpy as np

FOLD_ONES = 1024  # single values held before they are counted in: memory bound, not the session's


class Histogram:
    """Counts of values in fixed bins; values outside the edges land in the end bins."""

    def __init__(self, edges: np.ndarray) -> None:
        self.edges = np.asarray(edges, dtype=float)
        self._counts = np.zeros(len(self.edges) - 1, np.int64)
        # Bins of values from `add_one` not yet counted in: plain ints are quicker one at a time,
        # and folding a few in is quicker than adding a list of every bin on each read.
        self._ones: list[int] = []
        self._edges_list = self.edges.tolist()

    @classmethod
    def linear(cls, low: float, high: float, width: float) -> "Histogram":
        return cls(np.arange(low, high + width / 2, width))

    @classmethod
    def log(cls, low: float, high: float, bins: int) -> "Histogram":
        return cls(np.geomspace(low, high, bins + 1))

    @property
    def total(self) -> int:
        return int(self._counts.sum()) + len(self._ones)

    def add_one(self, value: float) -> None:
        """One value: quicker than `add` for the occasional single value."""
        index = bisect.bisect_right(self._edges_list, value) - 1
        self._ones.append(min(max(index, 0), len(self._counts) - 1))
        if len(self._ones) >= FOLD_ONES:
            self._fold()

    @property
    def counts(self) -> np.ndarray:
        """Counts per bin (a copy)."""
        self._fold()
        return self._counts.copy()

    def _fold(self) -> None:
        if self._ones:
            self._counts += np.bincount(self._ones, minlength=len(self._counts))
            self._ones.clear()

    def add(self, values: np.ndarray) -> None:
        values = np.asarray(values, dtype=float)
        index = np.searchsorted(self.edges, values[np.isfinite(values)], side="right") - 1
        index = np.clip(index, 0, len(self._counts) - 1)
        self._counts += np.bincount(index, minlength=len(self._counts))

    def quantile(self, q: float) -> float | None:
        """The q-quantile, interpolated linearly within its bin; None when empty.

        >>> h = Histogram.linear(0.0, 10.0, 1.0); h.add(np.arange(10) + 0.5); h.quantile(0.5)
        5.0
        """
        counts = self.counts
        total = int(counts.sum())
        if total == 0:
            return None
        cumulative = np.cumsum(counts)
        target = q * total
        index = int(np.searchsorted(cumulative, target, side="left"))
        before = cumulative[index - 1] if index else 0
        fraction = (target - before) / counts[index] if counts[index] else 0.0
        low, high = self.edges[index], self.edges[index + 1]
        return float(low + fraction * (high - low))
