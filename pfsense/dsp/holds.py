"""Holds: still, loaded stretches of HOLD_MIN_S or more (trigger points, myofascial release)."""

import math
from dataclasses import dataclass

from pfsense.dsp.plate import CONTACT_THRESHOLD_N

HOLD_MIN_S = 10.0  # DOMAIN.md: tender spots are held 15-90 s; 10 s is clearly a hold
# Twice the contact threshold (5 N): a foot resting on the ball is not pressing; 10 N (about
# 1 kg) is the gentlest press myofascial release asks for, on a seated light foot.
HOLD_MIN_FORCE_N = 2 * CONTACT_THRESHOLD_N
HOLD_RADIUS_MM = 15.0
MAX_HOLDS = 1000  # bounded memory: a session has far fewer


@dataclass
class Hold:
    start_s: float
    duration_s: float
    mean_force_n: float
    x_mm: float | None
    y_mm: float | None

    def to_dict(self) -> dict:
        return {k: None if v is None else round(float(v), 2) for k, v in self.__dict__.items()}


@dataclass
class _OpenHold:
    start_s: float
    force_sum_n: float = 0.0
    x_sum_mm: float = 0.0
    y_sum_mm: float = 0.0
    blocks: int = 0
    end_s: float = 0.0

    def mean(self, total: float) -> float:
        return total / self.blocks

    def as_hold(self, is_plate: bool) -> Hold:
        where = (self.mean(self.x_sum_mm), self.mean(self.y_sum_mm)) if is_plate else (None, None)
        return Hold(self.start_s, self.end_s - self.start_s, self.mean(self.force_sum_n), *where)


class HoldTracker:
    """Feeds on block summaries: `track` for each loaded block, `end` when contact is lost."""

    def __init__(self, is_plate: bool) -> None:
        self.is_plate = is_plate
        self.holds: list[Hold] = []
        self._open: _OpenHold | None = None

    def track(
        self, t_s: float, block_s: float, force_n: float, x_mm: float, y_mm: float, stroke: bool
    ) -> None:
        """Extend or end the hold in progress with one loaded block. A stroke (a swing faster
        than one per HOLD_MIN_S) ends a hold: a slow swell with the breath is part of a hold,
        rolling however slow is not. On a plate the swing is of position and the ball must also
        stay within HOLD_RADIUS_MM; on a single cell it is of force."""
        hold = self._open
        if hold is not None and (stroke or not self._in_place(hold, x_mm, y_mm)):
            self.end()
            hold = None
        if force_n < HOLD_MIN_FORCE_N:
            self.end()
            return
        if hold is None:
            hold = self._open = _OpenHold(t_s - block_s)
        hold.force_sum_n += force_n
        hold.x_sum_mm += x_mm if math.isfinite(x_mm) else 0.0
        hold.y_sum_mm += y_mm if math.isfinite(y_mm) else 0.0
        hold.blocks += 1
        hold.end_s = t_s

    def end(self) -> None:
        hold, self._open = self._open, None
        if (
            hold is not None
            and hold.end_s - hold.start_s >= HOLD_MIN_S
            and len(self.holds) < MAX_HOLDS
        ):
            self.holds.append(hold.as_hold(self.is_plate))

    def all_holds(self) -> list[Hold]:
        """The holds so far, with one still in progress (asking does not end it)."""
        hold = self._open
        if hold is None or hold.end_s - hold.start_s < HOLD_MIN_S:
            return self.holds
        return [*self.holds, hold.as_hold(self.is_plate)]

    def _in_place(self, hold: _OpenHold, x_mm: float, y_mm: float) -> bool:
        if not self.is_plate:
            return True
        dx, dy = x_mm - hold.mean(hold.x_sum_mm), y_mm - hold.mean(hold.y_sum_mm)
        return math.hypot(dx, dy) <= HOLD_RADIUS_MM
