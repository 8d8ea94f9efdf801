"""Sessions and routines on the live loop: starting and stopping a session, following a guided
routine from segment to segment (each measured and scored against its own target), and closing
a session with its report however it ends. Runs on the acquisition thread only, so it needs no
locks; what web threads see of it is in the status snapshot (pfsense.live.status).
"""

import logging
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

from pfsense.clinical.techniques import Technique, Zone
from pfsense.dsp.coverage import SOLE_ZONES
from pfsense.dsp.features import FeatureConfig
from pfsense.dsp.report import report, routine_summary
from pfsense.dsp.technique import ForceReference
from pfsense.errors import ConfigError, LiveStateError
from pfsense.live.session import LiveSession, SessionPlan
from pfsense.sensors.batch import Batch
from pfsense.store.db import connect
from pfsense.store.sessions import mark_interrupted

if TYPE_CHECKING:
    from pfsense.live.acquisition import Acquisition

log = logging.getLogger(__name__)


class SessionController:
    """The running session (if any) and the last one's summary. `data_dir` is where sessions go:
    their rows in the database and their recordings in `recordings/` (None: not kept)."""

    def __init__(self, loop: "Acquisition", data_dir: Path | None) -> None:
        self.loop = loop
        self.data_dir = data_dir
        self.session: LiveSession | None = None
        self.last_session: dict | None = None
        self.problem = ""  # why sessions are not saved, if they are not
        self._db: sqlite3.Connection | None = None  # the acquisition thread's own

    def open_store(self) -> None:
        """This thread's database connection; sessions a dead process left running are marked
        interrupted first (they can only be from before this start)."""
        if self.data_dir is None:
            return
        try:
            self._db = connect(self.data_dir)
            if count := mark_interrupted(self._db):
                log.warning("%d session(s) were cut short by a crash: marked interrupted", count)
        except (ConfigError, sqlite3.Error) as error:
            self._db = None
            log.error("sessions will not be saved: %s", error)
            self.problem = f"sessions will not be saved: {error}"

    def close_store(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def describe(self) -> dict | None:
        return self.session.describe() if self.session else None

    def force_reference(self) -> ForceReference:
        """The person's own force, which techniques are recognised against: the bands their
        therapist set, and their working force in this session: the rolling segments done so
        far, weighted by time pressed (never the work being judged: against itself it is
        neither gentle nor firm)."""
        session = self.session
        done = [
            (r["loaded_s"] or 0.0, r["force_n"]["mean"])
            for r in (session.segment_reports if session else [])
            if r["force_n"]["mean"] is not None and r["technique"] == Technique.ROLLING
        ]  # the force they roll at: a hold before is what is being told apart, not a yardstick
        loaded_s = sum(seconds for seconds, _ in done)
        working_n = sum(seconds * mean for seconds, mean in done) / loaded_s if loaded_s else None
        bands_n = session.plan.own_bands_n() if session else {}
        return ForceReference(working_n, bands_n)

    def band_source(self) -> dict:
        """Where the band in use comes from, for the page to say: the device's own (the default,
        or set by feel) unless a patient's session runs, then that patient's target for the
        technique being worked (a free session: rolling)."""
        session = self.session
        if session is None or session.plan.patient_id is None:
            return self.loop.own_band_source
        step = session.step
        segments = session.plan.segments
        working = step is not None and step.phase != "done" and step.index < len(segments)
        technique = segments[step.index].technique if working else Technique.ROLLING
        return {
            "source": session.plan.target(technique).source,
            "technique": technique.value,
            "patient_id": session.plan.patient_id,
        }

    def refuse_during_session(self, doing: str) -> None:
        if self.session is not None:
            raise LiveStateError(f"stop the session before {doing}")

    def start(self, plan: SessionPlan) -> dict:
        """Start a session (a free one, or a patient's routine); features start from zero."""
        if self.session is not None:
            # The device's own clock and zone, as a person reads a time: "since 14:03".
            since = self.session.started_at.astimezone().strftime("%H:%M")
            raise LiveStateError(f"a session is already running (since {since}); stop it first")
        if self.problem:  # nothing could be saved: say so now, not after the work is done
            raise LiveStateError(f"no session can start: {self.problem}")
        loop = self.loop
        loop.refuse_while_collecting()
        self.session = LiveSession(
            loop.sensor, loop.processor.calibration, self.data_dir, plan, self._db
        )
        loop.restart_processing(self._features_for_start(plan))
        if plan.segments and hasattr(loop.sensor, "follow_routine"):
            loop.sensor.follow_routine(_simulated_routine(plan))
        return self.session.describe()

    def stop(self) -> dict:
        if self.session is None:
            raise LiveStateError("no session is running; start one first")
        return self.end("stopped")

    def end(self, ended_by: str) -> dict:
        """Close the running session with its report; `ended_by` says how it ended."""
        session, loop = self.session, self.loop
        loop.flush()
        step = session.step
        if session.clock is None:
            result = report(loop.processor, loop.samples(), None, reference=self.force_reference())
            status = "complete"
        else:
            if step is not None and step.phase == "work":  # the segment cut short counts too
                session.end_segment(step.index, self._segment_report(step.index))
            result = routine_summary(session.segment_reports)
            status = "complete" if step is not None and step.phase == "done" else "interrupted"
        self.last_session = session.close(result, status, ended_by)
        self.session = None
        if session.plan.segments and hasattr(loop.sensor, "stop_following"):
            loop.sensor.stop_following()  # the simulated person goes back to their own script
        loop.restart_processing()
        return self.last_session

    def write(self, batch: Batch) -> None:
        if self.session is not None:
            self.session.write(batch)

    def after_batch(self, metrics: dict | None) -> None:
        """Follow the routine, then save the session's progress (at most once a second)."""
        if self.session is not None:
            self._follow_routine()
        if self.session is not None:
            self.session.save_progress(metrics)

    def _follow_routine(self) -> None:
        """At each change of segment or phase: score the segment that ended, set up the next."""
        change = self.session.advance()
        if change is None:
            return
        old, new = change
        if old.phase == "work":
            self.loop.flush()
            self.session.end_segment(old.index, self._segment_report(old.index))
        for index in _passed_over(old, new, len(self.session.plan.segments)):
            # A stall carried the clock past this segment's whole work: it is reported (with
            # nothing measured, and why), never left out of the session.
            self.loop.restart_processing(self._segment_features(index))
            report = {**self._segment_report(index), "skipped": SKIPPED_BY_STALL}
            self.session.end_segment(index, report)
        if new.phase == "done":
            self.end("routine finished")
            return
        # A rest is measured afresh too: the segment's report is written, and its numbers
        # should not keep growing on the page while the foot rests.
        work = new.phase == "work"
        self.loop.restart_processing(self._segment_features(new.index) if work else None)

    def _features_for_start(self, plan: SessionPlan) -> FeatureConfig | None:
        if plan.segments:
            return self._segment_features(0)
        return plan.free_features(self.loop.sensor.rate_hz, self.loop.sensor.layout.is_plate)

    def _segment_features(self, index: int) -> FeatureConfig:
        """The segment's measures; a single cell is also told the segment's zone."""
        plan, sensor = self.session.plan, self.loop.sensor
        if not sensor.layout.is_plate:
            zone: Zone = plan.segments[index].zone
            self.loop.zone = zone if zone in SOLE_ZONES else None
        return plan.segment_features(index, sensor.rate_hz, sensor.layout.is_plate)

    def _segment_report(self, index: int) -> dict:
        return self.session.plan.segment_report(
            index, self.loop.processor, self.loop.samples(), self.force_reference()
        )


SKIPPED_BY_STALL = "no samples came during this segment: the sensor was stalled"


def _passed_over(old, new, segments: int) -> range:
    """Segments whose work began and ended between two steps of the clock (a stall)."""
    last = new.index if new.phase == "work" else new.index + 1
    return range(old.index + 1, min(last, segments))


def _simulated_routine(plan: SessionPlan) -> tuple:
    """The routine as a simulator script: each segment's technique and zone at the middle of
    the patient's band for it, and its rest."""
    from pfsense.sim.script import REST
    from pfsense.sim.script import Segment as Scripted

    script = []
    for segment in plan.segments:
        low, high = plan.target(segment.technique).band_n
        script.append(
            Scripted(segment.technique, segment.duration_s, segment.zone, (low + high) / 2)
        )
        if segment.rest_s:
            script.append(Scripted(REST, segment.rest_s))
    return tuple(script)
