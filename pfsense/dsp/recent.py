"""Features over the last half-minute or so, for the live page's "now": the technique being done
and how well, as it changes, rather than the whole session's average.

Fed what a FeatureTracker is fed (pfsense.dsp.pipeline). Two FeatureTrackers run staggered,
each started afresh every RECENT_WINDOW_S; the older one is read, so the window always covers
between half and all of RECENT_WINDOW_S of the latest data. Memory stays bounded (two trackers)
and nothing is recomputed.
"""

import numpy as np

from pfsense.clinical import doses
from pfsense.clinical.techniques import Zone
from pfsense.dsp.blocks import Blocks
from pfsense.dsp.features import FeatureConfig, FeatureTracker

# DOMAIN.md: 30-120 s per area. The shortest dose is long enough to see a technique's rhythm
# (15 cycles at the self-paced 33/min) and short enough that switching shows within ~15 s.
RECENT_WINDOW_S = doses.AREA_DURATION_S[0]


class RecentWindow:
    """Feed it what a FeatureTracker is fed; `tracker` is the one covering the recent window."""

    def __init__(self, config: FeatureConfig, window_s: float = RECENT_WINDOW_S) -> None:
        self.config = config
        self.window_s = window_s
        self._zone: Zone | None = None
        self._trackers = [self._fresh()]
        self._started_t_s: list[float | None] = [None]

    @property
    def tracker(self) -> FeatureTracker:
        """The older tracker: the longer stretch of recent data."""
        return self._trackers[0]

    @property
    def zone(self) -> Zone | None:
        return self._zone

    @zone.setter
    def zone(self, zone: Zone | None) -> None:
        self._zone = zone
        for tracker in self._trackers:
            tracker.zone = zone

    def add(self, t_s: np.ndarray, force_n: np.ndarray, blocks: Blocks | None, block_s: float):
        """As FeatureTracker.add; the trackers rotate between blocks, so however the rows were
        cut, the same blocks land in the same trackers."""
        if blocks is None or not len(blocks):
            self._rotate(float(t_s[0]))
            for tracker in self._trackers:
                tracker.add(t_s, force_n, None, block_s)
            return
        size = len(t_s) // len(blocks)
        starts_s = t_s[::size]  # each block's first sample
        start = 0
        while start < len(blocks):
            self._rotate(float(starts_s[start]))
            end = start + 1 + int(np.searchsorted(starts_s[start + 1 :], self._next_rotation_s()))
            rows = slice(start * size, end * size)
            part = blocks.select(slice(start, end)) if end - start < len(blocks) else blocks
            for tracker in self._trackers:
                tracker.add(t_s[rows], force_n[rows], part, block_s)
            start = end

    def _next_rotation_s(self) -> float:
        age_s = self.window_s / 2 if len(self._trackers) == 1 else self.window_s
        return self._started_t_s[0] + age_s

    def _rotate(self, t_s: float) -> None:
        """Start the second tracker half a window in; retire the first when a window old."""
        if self._started_t_s[0] is None:
            self._started_t_s[0] = t_s
        age_s = t_s - self._started_t_s[0]
        if len(self._trackers) == 1 and age_s >= self.window_s / 2:
            self._trackers.append(self._fresh())
            self._started_t_s.append(t_s)
        elif age_s >= self.window_s:
            self._trackers = [self._trackers[1], self._fresh()]
            self._started_t_s = [self._started_t_s[1], t_s]

    def _fresh(self) -> FeatureTracker:
        tracker = FeatureTracker(self.config)
        tracker.zone = self._zone
        return tracker
