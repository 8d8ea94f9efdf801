"""The whole processing path for one sensor: clean -> calibrate (with re-zero) -> centre of
pressure -> features. One implementation, fed small batches live and large chunks offline:
`Processor.process(batch)` returns the rows decided so far (at once, unless the cleaner must wait
for a suspect reading's neighbours) and `finish()` flushes the end of a recording.

Rows reach the features a block at a time (pfsense.dsp.blocks: 200 ms), when the block is
complete, so their numpy work is paid once a block however small the batches are; the rows
themselves go out as soon as they are decided. The same rows give the same numbers however they
are cut, to within the rounding of a sum taken in another order.
"""

from dataclasses import dataclass

import numpy as np

from pfsense.calibration.autozero import AutoZero
from pfsense.calibration.model import Calibration
from pfsense.clinical.techniques import Zone
from pfsense.columns import Columns
from pfsense.dsp import plate
from pfsense.dsp.blocks import Blocker, summarise
from pfsense.dsp.clean import Cleaner
from pfsense.dsp.features import FeatureConfig, FeatureTracker
from pfsense.dsp.recent import RecentWindow
from pfsense.sensors.batch import Batch
from pfsense.sensors.layout import Layout

CHUNK_ROWS = 4096  # a moved zero redoes at most this many rows


@dataclass(frozen=True, eq=False)
class Processed(Columns):
    """Rows after processing: force in newtons (NaN where rejected), position on a plate."""

    t_s: np.ndarray
    acquired_at: np.ndarray
    seq: np.ndarray
    force_n: np.ndarray
    x_mm: np.ndarray  # NaN without a plate, or below the contact threshold
    y_mm: np.ndarray


class Processor:
    """One sensor's processing state."""

    def __init__(
        self,
        layout: Layout,
        calibration: Calibration,
        rate_hz: float,
        features: FeatureConfig | None = None,
        autozero: bool = True,
        recent_window_s: float | None = None,
    ) -> None:
        """`recent_window_s` also keeps features over about that many of the latest seconds:
        the live page's "now" (pfsense.dsp.recent)."""
        self.layout = layout
        channels = len(layout.channels)
        self.cleaner = Cleaner(channels, np.asarray(calibration.counts_per_n))
        self.blocker = Blocker(rate_hz, channels)
        self.block_s = self.blocker.size / rate_hz
        self.autozero = AutoZero(calibration, self.block_s) if autozero else None
        self.calibration = calibration
        config = features or FeatureConfig(rate_hz, layout.is_plate)
        self.tracker = FeatureTracker(config)
        self.recent = RecentWindow(config, recent_window_s) if recent_window_s else None
        self.trackers = [self.tracker, *([self.recent] if self.recent else [])]

    @property
    def zone(self) -> Zone | None:
        """Single cell: the zone being worked, which coverage credits."""
        return self.tracker.zone

    @zone.setter
    def zone(self, zone: Zone | None) -> None:
        for tracker in self.trackers:
            tracker.zone = zone

    def set_calibration(self, calibration: Calibration) -> None:
        """A new zero or scale from now on (a tare while streaming)."""
        self.calibration = calibration
        if self.autozero is not None:
            self.autozero.reset(calibration)

    def process(self, batch: Batch) -> Processed:
        return self._run(*self.cleaner.clean(batch))

    def finish(self) -> Processed:
        """The rows still held, and the unfinished block's samples to the features."""
        rows = self._run(*self.cleaner.finish())
        t_s, force_n = self.blocker.take_pending()
        if len(t_s):
            for tracker in self.trackers:
                tracker.add(t_s, force_n, None, self.block_s)
        return rows

    def _run(self, rows: Batch, counts: np.ndarray) -> Processed:
        if len(rows) <= CHUNK_ROWS:  # live: one small piece
            taken = self._segment(rows, counts)
            if len(taken) == len(rows):
                return taken
            parts, start = [taken], len(taken)
        else:
            parts, start = [], 0
        while start < len(rows):
            chunk = slice(start, start + CHUNK_ROWS)
            taken = self._segment(rows.select(chunk), counts[chunk])
            parts.append(taken)
            start += len(taken)
        return Processed.concat(parts)

    def _segment(self, rows: Batch, counts: np.ndarray) -> Processed:
        """Process rows with the current zero, up to the block where the zero moves, if it does
        (the rows after it are then processed again with the new zero by the caller)."""
        force_n, x_mm, y_mm = self._force(counts)
        table, pending = self.blocker.join(rows.t_s, force_n, x_mm, y_mm, counts)
        size = self.blocker.size
        used = len(table) // size  # complete blocks
        end = len(rows)
        if used:
            blocks = summarise(table[: used * size], size, self.blocker.channels)
            if self.autozero is not None and (moved := self.autozero.observe(blocks)) is not None:
                used = moved + 1
                end = used * size - pending
                blocks = blocks.select(slice(0, used))
                self.calibration = self.autozero.calibration
            block_rows = table[: used * size].copy()  # the blocker reuses its table
            for tracker in self.trackers:
                tracker.add(block_rows[:, 0], block_rows[:, 1], blocks, self.block_s)
        self.blocker.keep(used * size, pending + end)
        if end < len(rows):
            rows = rows.select(slice(0, end))
            force_n, x_mm, y_mm = force_n[:end], x_mm[:end], y_mm[:end]
        return Processed(rows.t_s, rows.acquired_at, rows.seq, force_n, x_mm, y_mm)

    def _force(self, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        cell_force_n = self.calibration.force_n(counts)
        if not self.layout.is_plate:
            nan = np.full(len(counts), np.nan)
            return cell_force_n[:, 0], nan, nan
        return plate.centre_of_pressure_mm(
            cell_force_n, self.layout.plate_width_mm, self.layout.plate_length_mm
        )
