"""A session on the live page: from Start to Stop (or the routine's end), its raw samples go to a
recording in the data directory (flushed batch by batch) and its row in the database is written as
it happens: at the start, every second (progress), at the end of each routine segment, and at the
end. A `kill -9` therefore loses at most the last second, and the session reads as interrupted.

The live loop (pfsense.live.service) owns the processing; this object owns what is written.
"""

import datetime as dt
import logging
import sqlite3
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from pfsense.calibration.model import Calibration
from pfsense.clinical.techniques import Technique
from pfsense.dsp.coverage import SOLE_ZONES
from pfsense.dsp.features import FeatureConfig
from pfsense.dsp.report import report
from pfsense.dsp.technique import ForceReference
from pfsense.errors import ConfigError, LiveStateError
from pfsense.live.routine_clock import RoutineClock, Step
from pfsense.paths import recordings_dir, unused_path
from pfsense.sensors.base import Sensor
from pfsense.sensors.batch import Batch
from pfsense.sensors.recording import RecordingWriter
from pfsense.store import sessions
from pfsense.store.routines import Segment
from pfsense.store.targets import Target, default_target

log = logging.getLogger(__name__)

PROGRESS_EVERY_S = 1.0  # what a crash can lose of a session's row


@dataclass(frozen=True)
class SessionPlan:
    """Who, and what to do: no segments is a free session."""

    patient_id: int | None = None
    patient_name: str | None = None
    foot_mm: float | None = None
    segments: tuple[Segment, ...] = ()
    targets: dict[Technique, Target] = field(default_factory=dict)

    def own_bands_n(self) -> dict[Technique, tuple[float, float]]:
        """The bands a therapist set for this patient (not the defaults): techniques are
        recognised against these (pfsense.dsp.technique), never one band shared by all."""
        return {
            t: target.band_n for t, target in self.targets.items() if target.source != "default"
        }

    def target(self, technique: Technique) -> Target:
        return self.targets.get(technique) or default_target(technique)

    def free_features(self, rate_hz: float, is_plate: bool) -> FeatureConfig | None:
        """A patient's free session is measured against their rolling band and foot; anyone
        else's against the service's own (None)."""
        if self.patient_id is None:
            return None
        band_n = self.target(Technique.ROLLING).band_n
        return FeatureConfig.with_defaults(rate_hz, is_plate, band_n, self.foot_mm)

    def segment_features(self, index: int, rate_hz: float, is_plate: bool) -> FeatureConfig:
        """A segment is measured against the patient's band for its technique, in its zone."""
        segment = self.segments[index]
        band_n = self.target(segment.technique).band_n
        config = FeatureConfig.with_defaults(rate_hz, is_plate, band_n, self.foot_mm)
        if segment.zone in SOLE_ZONES:
            config = replace(config, asked_zones=(segment.zone,))
        return config

    def segment_report(
        self, index: int, processor, samples: int, reference: ForceReference | None = None
    ) -> dict:
        """A segment's report, scored for its technique against the patient's cadence."""
        segment = self.segments[index]
        cadence = self.target(segment.technique).cadence_per_min
        result = report(
            processor,
            samples,
            None,
            planned=segment.technique,
            cadence_per_min=cadence,
            reference=reference,
        )
        return {**result, "zone": segment.zone.value, "planned_s": segment.duration_s}


class LiveSession:
    """One running session. `data_dir=None` keeps no recording; `connection=None` no row."""

    def __init__(
        self,
        sensor: Sensor,
        calibration: Calibration,
        data_dir: Path | None,
        plan: SessionPlan,
        connection: sqlite3.Connection | None,
    ) -> None:
        self.started_at = dt.datetime.now(dt.UTC)
        self.plan = plan
        self.clock = RoutineClock(plan.segments) if plan.segments else None
        self.step: Step | None = self.clock.at(0.0) if self.clock else None
        self.segment_reports: list[dict] = []
        self.first_t_s: float | None = None
        self.last_t_s: float | None = None
        self.problem = ""
        self.writer: RecordingWriter | None = None
        if data_dir is not None:
            try:
                self.writer = _open_writer(sensor, calibration, data_dir, self.started_at)
            except ConfigError as error:  # a full or read-only card: refused, saying why
                raise LiveStateError(
                    f"the session cannot be recorded ({error}); free some space on the "
                    "device, then start again"
                ) from None
        self._connection = connection
        self._last_progress_mono = 0.0
        self.session_id = self._db(
            sessions.start_session,
            plan.patient_id,
            [segment.to_dict() for segment in plan.segments] or None,
            self.writer.path.name if self.writer else None,
        )

    def write(self, batch: Batch) -> None:
        if len(batch):
            self.first_t_s = float(batch.t_s[0]) if self.first_t_s is None else self.first_t_s
            self.last_t_s = float(batch.t_s[-1])
        if self.writer is None:
            return
        try:
            self.writer.write(batch)
        except OSError as error:  # a full card must not stop the live page: say so, keep going
            self._trouble(f"the recording stopped: {error.strerror or error}")
            self.writer.close()
            self.writer = None

    @property
    def duration_s(self) -> float:
        if self.first_t_s is None or self.last_t_s is None:
            return 0.0
        return self.last_t_s - self.first_t_s

    def advance(self) -> tuple[Step, Step] | None:
        """The routine's step now; (old, new) when the segment or phase has just changed."""
        if self.clock is None or self.step is None:
            return None
        old, new = self.step, self.clock.at(self.duration_s)
        self.step = new
        if (old.index, old.phase) == (new.index, new.phase):
            return None
        return old, new

    def end_segment(self, index: int, report: dict) -> None:
        self.segment_reports.append(report)
        segment = self.plan.segments[index].to_dict()
        self._db(sessions.save_segment, index, segment, report)

    def save_progress(self, metrics: dict | None) -> None:
        """At most once a second: how far the session got, for after a crash."""
        now = time.monotonic()
        if now - self._last_progress_mono < PROGRESS_EVERY_S:
            return
        self._last_progress_mono = now
        progress = {
            "duration_s": round(self.duration_s, 1),
            "samples_recorded": self.writer.samples if self.writer else None,
            "segments_done": len(self.segment_reports),
            "metrics": _brief(metrics),
        }
        self._db(sessions.save_progress, progress)

    def describe(self) -> dict:
        return {
            "id": self.session_id,
            "patient_id": self.plan.patient_id,
            "patient_name": self.plan.patient_name,
            "started_at": self.started_at.isoformat(timespec="seconds"),
            "duration_s": round(self.duration_s, 1),
            "recording": self.writer.path.name if self.writer else None,
            "routine": self.step.to_dict(self.plan.segments) if self.step else None,
            "problem": self.problem,
        }

    def close(self, report: dict | None, status: str, ended_by: str) -> dict:
        """End the session; what status and the page show about it afterwards."""
        described = self.describe()
        if self.writer is not None:
            self.writer.close()
        final = {**(report or {}), "ended_by": ended_by}
        self._db(sessions.finish_session, final, status)
        ended_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        return {**described, "status": status, "ended_at": ended_at, "report": final}

    def _db(self, write, *args):
        """A write to the session's row; a database problem is reported, never fatal."""
        if self._connection is None:
            return None
        if write is not sessions.start_session:
            if self.session_id is None:
                return None
            args = (self.session_id, *args)
        try:
            return write(self._connection, *args)
        except sqlite3.Error as error:
            self._trouble(f"the session could not be saved: {error}")
            return None

    def _trouble(self, problem: str) -> None:
        self.problem = problem
        log.error("session: %s", problem)


def _brief(metrics: dict | None) -> dict | None:
    """The few numbers worth keeping from a metrics event every second."""
    if not metrics:
        return None
    keys = ("duration_s", "time_in_band_fraction", "cadence_per_min", "technique", "score")
    return {key: metrics.get(key) for key in keys}


def _open_writer(
    sensor: Sensor, calibration: Calibration, data_dir: Path, started_at: dt.datetime
) -> RecordingWriter:
    path = unused_path(recordings_dir(data_dir), f"session-{started_at:%Y%m%d-%H%M%S}")
    return RecordingWriter(path, sensor.layout, sensor.rate_hz, calibration, sensor.name)
