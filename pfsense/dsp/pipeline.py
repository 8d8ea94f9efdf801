"""The whole live path for one sensor: clean -> calibrate (with re-zero) -> centre of pressure ->
features. `Processor.process(batch)` takes raw batches and returns processed rows two samples
behind (the cleaner's look-ahead); `finish()` flushes the end of a recording.

The same Processor serves the live page (batch by batch) and `pfsense analyze` (one whole
recording), so both give the same numbers.
"""

from dataclasses import dataclass

import numpy as np

from pfsense.calibration.autozero import AutoZero
from pfsense.calibration.model import Calibration
from pfsense.clinical.techniques import Zone
from pfsense.columns import Columns
from pfsense.dsp import plate
from pfsense.dsp.blocks import Blocker
from pfsense.dsp.clean import Cleaner
from pfsense.dsp.features import FeatureConfig, FeatureTracker
from pfsense.dsp.live_path import LivePath
from pfsense.dsp.recent import RecentWindow
from pfsense.sensors.batch import Batch
from pfsense.sensors.layout import Layout

CHUNK_ROWS = 4096


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
        live: bool = False,
        recent_window_s: float | None = None,
    ) -> None:
        """`live=True` takes the sample-by-sample path (pfsense.dsp.live_path), quicker for the
        one or two samples a live batch holds; the default vectorised path suits recordings.
        `recent_window_s` (live only) also keeps features over about that many of the latest
        seconds: the live page's "now"."""
        if recent_window_s and not live:
            raise ValueError("a recent window is kept on the live path only")
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
        self._live = LivePath(self) if live else None

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
        if self._live is not None:
            return _processed(self._live.process(batch))
        return self._run(*self.cleaner.clean(batch))

    def finish(self) -> Processed:
        if self._live is not None:
            return _processed(self._live.finish())
        return self._run(*self.cleaner.finish())

    def _run(self, rows: Batch, counts: np.ndarray) -> Processed:
        parts = []
        start = 0
        while start < len(rows) or not parts:
            # A whole recording goes through in chunks, so a moved zero redoes at most one chunk.
            chunk = slice(start, start + CHUNK_ROWS)
            taken = self._segment(rows.select(chunk), counts[chunk])
            parts.append(taken)
            start += len(taken)
            if not len(taken):
                break
        return parts[0] if len(parts) == 1 else Processed.concat(parts)

    def _segment(self, rows: Batch, counts: np.ndarray) -> Processed:
        """Process rows with the current zero, up to the block where the zero moves, if it does
        (the rows after it are then processed again with the new zero by the caller)."""
        force_n, x_mm, y_mm = self._force(counts)
        pending = self.blocker.pending_rows
        blocks = self.blocker.preview(rows.t_s, force_n, x_mm, y_mm, counts)
        end = len(rows)
        if blocks is not None:
            used = len(blocks)
            if self.autozero is not None and (moved := self.autozero.observe(blocks)) is not None:
                used = moved + 1
                end = used * self.blocker.size - pending
            self.tracker.add_blocks(
                blocks.select(slice(0, used)) if used < len(blocks) else blocks, self.block_s
            )
        if end < len(rows):
            force_n, x_mm, y_mm, counts = force_n[:end], x_mm[:end], y_mm[:end], counts[:end]
            rows = rows.select(slice(0, end))
        self.blocker.add(rows.t_s, force_n, x_mm, y_mm, counts)
        self.tracker.add_samples(rows.t_s, force_n)
        if self.autozero is not None:
            self.calibration = self.autozero.calibration
        return Processed(rows.t_s, rows.acquired_at, rows.seq, force_n, x_mm, y_mm)

    def _force(self, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        cell_force_n = self.calibration.force_n(counts)
        if not self.layout.is_plate:
            nan = np.full(len(counts), np.nan)
            return cell_force_n[:, 0], nan, nan
        return plate.centre_of_pressure_mm(
            cell_force_n, self.layout.plate_width_mm, self.layout.plate_length_mm
        )


def _processed(rows: list[tuple]) -> Processed:
    """Processed columns from the live path's rows, in one array conversion."""
    table = np.array(rows, dtype=float).reshape(-1, 6)
    t_s, acquired_at, seq, force_n, x_mm, y_mm = table.T
    return Processed(t_s, acquired_at, seq.astype(np.uint16), force_n, x_mm, y_mm)
