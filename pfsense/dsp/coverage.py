"""Coverage: where on the sole the work went.

On a plate, the ball's travel maps onto the sole (pfsense.clinical.foot), binned along and across
the foot and into heel, arch and forefoot. A single cell cannot see where it is: the zone a guided
routine is working (`zone`) is credited instead.
"""

import math

import numpy as np

from pfsense.clinical import doses, foot
from pfsense.clinical.techniques import ZONE_CODES, Zone
from pfsense.dsp.blocks import Blocks

SOLE_ZONES = (Zone.HEEL, Zone.ARCH, Zone.FOREFOOT)
ZONE_DOSE_S = doses.AREA_DURATION_S[0]  # 30-120 s per area (DOMAIN.md): 30 s covers a zone
SOLE_BINS_ALONG = 20
SOLE_BINS_ACROSS = 8
FOOT_WIDTH_FRACTION = 0.4  # a foot is about 40 % as wide as it is long
COVERED_BIN_S = 1.0
# A zone worked within one full stroke at the slow protocol's cadence (15 a minute, Sezik 2024:
# 4 s) is being worked now: a stroke along the foot sweeps over more than one zone.
STROKE_S = 60.0 / doses.SLOW_CADENCE_PER_MIN
_ZONE_OF_CODE = {code: zone for zone, code in ZONE_CODES.items()}


class Coverage:
    """Seconds per zone (in the target band) and a heat map of loaded time over the sole."""

    def __init__(self, is_plate: bool, band_n: tuple[float, float], foot_mm: float, asked) -> None:
        self.is_plate = is_plate
        self.band_n = band_n
        self.foot_mm = foot_mm
        self.asked_zones = asked
        self.zone: Zone | None = None  # single cell: the zone a routine says is being worked
        self.zone_now: Zone | None = None  # the zone the latest work in the band was on
        # When each zone was last worked in the band: a stroke sweeps across zones, so the
        # zones "being worked now" are those of the last stroke or so, not the last sample's.
        self.seen_rows = 0  # counted in rows, not summed seconds: the same however it is cut
        self.last_worked_row = dict.fromkeys(SOLE_ZONES, -math.inf)
        self.block_s = 0.0
        self.zones_s = dict.fromkeys(SOLE_ZONES, 0.0)
        self.heat_s = np.zeros((SOLE_BINS_ALONG, SOLE_BINS_ACROSS) if is_plate else len(SOLE_ZONES))

    def add_blocks(self, b: Blocks, loaded: np.ndarray, block_s: float) -> None:
        low, high = self.band_n
        work = loaded & (b.force_n >= low) & (b.force_n <= high)
        if not self.is_plate:
            if self.zone in SOLE_ZONES:
                self.heat_s[SOLE_ZONES.index(self.zone)] += block_s * np.count_nonzero(loaded)
                self.zones_s[self.zone] += block_s * np.count_nonzero(work)
                if work.any():
                    self.zone_now = self.zone
                    self._worked_at(self.zone, np.flatnonzero(work), block_s)
            self.seen_rows += len(loaded)
            return
        placed = loaded & np.isfinite(b.y_mm) & np.isfinite(b.x_mm)
        sole_mm = foot.sole_mm_from_plate_y(b.y_mm[placed], self.foot_mm)
        along = np.floor(sole_mm / self.foot_mm * SOLE_BINS_ALONG).astype(int)
        width_mm = FOOT_WIDTH_FRACTION * self.foot_mm
        across = np.floor((b.x_mm[placed] / width_mm + 0.5) * SOLE_BINS_ACROSS).astype(int)
        inside = (
            (along >= 0) & (along < SOLE_BINS_ALONG) & (across >= 0) & (across < SOLE_BINS_ACROSS)
        )
        np.add.at(self.heat_s, (along[inside], across[inside]), block_s)
        codes = foot.zone_codes_for_sole_mm(sole_mm, self.foot_mm)[work[placed]]
        for zone in SOLE_ZONES:
            self.zones_s[zone] += block_s * np.count_nonzero(codes == ZONE_CODES[zone])
        if len(codes):
            self.zone_now = _ZONE_OF_CODE.get(int(codes[-1]))
        rows = np.flatnonzero(placed)[work[placed]]  # the block rows `codes` stands for
        for zone in SOLE_ZONES:
            self._worked_at(zone, rows[codes == ZONE_CODES[zone]], block_s)
        self.seen_rows += len(loaded)

    def _worked_at(self, zone: Zone, rows: np.ndarray, block_s: float) -> None:
        """The zone was worked at these rows of the block now being added (by time, so that
        however the samples were cut into batches the answer is the same)."""
        self.block_s = block_s
        if len(rows):
            self.last_worked_row[zone] = self.seen_rows + int(rows[-1]) + 1

    def fraction(self) -> float | None:
        """Plate: the share of the sole's length with a second or more of contact. Single cell:
        the asked zones' dose (ZONE_DOSE_S each), or None when no zone was ever named."""
        if self.is_plate:
            return float(np.mean(self.heat_s.sum(axis=1) >= COVERED_BIN_S))
        asked = [z for z in self.asked_zones if z in SOLE_ZONES]
        if self.zone is None and not any(self.zones_s.values()):
            return None
        return (
            float(np.mean([min(1.0, self.zones_s[z] / ZONE_DOSE_S) for z in asked]))
            if asked
            else None
        )

    def summary(self) -> dict:
        fraction = self.fraction()
        return {
            "fraction": None if fraction is None else round(fraction, 3),
            "zones_s": {zone.value: round(float(s), 1) for zone, s in self.zones_s.items()},
            # What a score and a tip judge coverage on: the zones asked for (a routine's
            # segment asks for one), and the one being worked now (never told it is missing).
            "asked_zones": [zone.value for zone in self.asked_zones if zone in SOLE_ZONES],
            "zone_now": self.zone_now.value if self.zone_now else None,
            "zones_now": [
                zone.value
                for zone, row in self.last_worked_row.items()
                if (self.seen_rows - row) * self.block_s <= STROKE_S
            ],
            "heat_map_s": np.round(self.heat_s, 1).tolist(),
        }
