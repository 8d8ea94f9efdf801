"""The live loop: a thread that reads the sensor, turns batches into frames and publishes them.

Acquisition runs on its own thread and never waits on the web: publishing only appends to each
client's bounded buffer (pfsense.live.hub). Requests from the page (tare, start and stop a session,
the zone being worked) are queued to that thread and run between reads, so the processing state has
one owner and needs no locks.
"""

import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import replace
from pathlib import Path

from pfsense.calibration.fit import TARE_MIN_S, tare_raw
from pfsense.calibration.model import Calibration
from pfsense.clinical.techniques import Zone
from pfsense.dsp.coverage import SOLE_ZONES
from pfsense.dsp.demonstration import DEFAULT_TOLERANCE, propose_target
from pfsense.dsp.features import FeatureConfig
from pfsense.dsp.pipeline import Processor
from pfsense.dsp.recent import RECENT_WINDOW_S
from pfsense.dsp.report import recent_report, report, routine_summary
from pfsense.errors import ConfigError, LiveStateError, SensorClosed, SensorError, SensorTimeout
from pfsense.live.frames import frame_event
from pfsense.live.hub import Hub
from pfsense.live.session import LiveSession, SessionPlan
from pfsense.sensors.base import Sensor
from pfsense.sensors.batch import Batch
from pfsense.store.db import connect
from pfsense.store.sessions import mark_interrupted

log = logging.getLogger(__name__)

READ_TIMEOUT_S = 0.5  # a dead sensor shows as stalled within half a second
STATUS_EVERY_S = 1.0
METRICS_EVERY_S = 0.5  # the page's rhythm, score and coaching: a few times a second
COMMAND_TIMEOUT_S = 3.0  # a request waits this long for the acquisition thread to take it
COLLECT_SLACK_S = 2.0  # a tare or demonstration waits this much longer than it needs


class LiveService:
    """Owns the sensor while serving: start() launches acquisition, stop() ends it and closes it.

    `data_dir` is where sessions go: their rows in the database and their recordings in
    `recordings/` (None: sessions are not kept); `on_calibrated` is called with each new
    calibration a tare makes (to store it)."""

    def __init__(
        self,
        sensor: Sensor,
        calibration: Calibration | None = None,
        hub: Hub | None = None,
        features: FeatureConfig | None = None,
        data_dir: Path | None = None,
        on_calibrated: Callable[[Calibration], None] | None = None,
    ) -> None:
        self.sensor = sensor
        self.hub = hub or Hub()
        self.features = features or FeatureConfig(sensor.rate_hz, sensor.layout.is_plate)
        self.data_dir = data_dir
        self._db: sqlite3.Connection | None = None  # the acquisition thread's own
        self.on_calibrated = on_calibrated
        self._zone: Zone | None = None
        self._session_features: FeatureConfig | None = None
        self.processor = self._new_processor(calibration or sensor.nominal_calibration)
        self.session: LiveSession | None = None
        self.last_session: dict | None = None
        self.state = "starting"  # starting | streaming | stalled | ended | error | stopped
        self.message = ""
        self._commands: queue.SimpleQueue = queue.SimpleQueue()
        self._collector: _Collector | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pfsense-acquisition", daemon=True)
        self._last_status_mono = 0.0
        self._last_metrics_mono = 0.0
        self._metrics: dict | None = None
        self._latest: dict | None = None

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.sensor.close()  # wakes a read blocked in the acquisition thread
        if self._thread.is_alive():
            self._thread.join(timeout=5.0)
        self._set_state("stopped", "pfsense is shutting down")
        self.hub.close()

    # Requests from the page, run on the acquisition thread.

    def tare(self) -> Calibration:
        """Zero every cell from the next second of samples; refused with weight on or movement."""
        doing = "taring (a session's recording keeps one zero throughout)"
        return self._gather("tare", TARE_MIN_S, self._apply_tare, doing)

    def demonstrate(self, seconds: float, tolerance: float = DEFAULT_TOLERANCE) -> dict:
        """Watch a therapist press for `seconds`; the target band, cadence and stroke proposed."""

        def propose(batch: Batch) -> dict:
            layout, rate_hz = self.sensor.layout, self.sensor.rate_hz
            return propose_target(batch, layout, self.processor.calibration, rate_hz, tolerance)

        return self._gather("a demonstration", seconds, propose, "recording a demonstration")

    def capture(self, seconds: float) -> Batch:
        """The next `seconds` of raw samples (a calibration step)."""
        return self._gather("a calibration step", seconds, lambda batch: batch, "calibrating")

    def apply_calibration(self, calibration: Calibration) -> None:
        """Use a new calibration from now on (and store it, through `on_calibrated`)."""

        def apply(future: Future) -> None:
            self._refuse_during_session("calibrating")
            future.set_result(self._use_calibration(calibration))

        self._call(apply)

    def start_session(self, plan: SessionPlan | None = None) -> dict:
        """Start a session (a free one, or a patient's routine); features start from zero."""
        return self._call(lambda future: self._start_session(future, plan or SessionPlan()))

    def stop_session(self) -> dict:
        """End the session; its summary (also in status as `last_session`)."""
        return self._call(self._stop_session)

    def set_zone(self, zone: Zone | None) -> None:
        """Single cell: the zone being worked from now on, which coverage credits."""
        if self.sensor.layout.is_plate:
            raise LiveStateError("the plate finds the zone by itself; a zone is set for one cell")
        self._call(lambda future: future.set_result(self._apply_zone(zone)))

    def status(self) -> dict:
        """A snapshot: what a client needs to (re)synchronise."""
        return {
            "type": "status",
            "state": self.state,
            "message": self.message,
            "sensor": self.sensor.describe(),
            "stats": self._stats(),
            "clients": self.hub.client_count,
            "latest": self._latest,
            "target_band_n": list(self.processor.tracker.config.target_band_n),
            "calibration": {
                "source": self.processor.calibration.source,
                "rezeros": self.processor.autozero.rezeros if self.processor.autozero else 0,
            },
            "zone": self._zone.value if self._zone else None,
            "session": self.session.describe() if self.session else None,
            "last_session": self.last_session,
            "metrics": self._metrics,
        }

    def _call(self, command: Callable[[Future], None], timeout_s: float = COMMAND_TIMEOUT_S):
        """Run `command(future)` on the acquisition thread; wait for the future's result."""
        if not self._thread.is_alive():
            raise LiveStateError(f"the sensor is not running ({self.state}); restart pfsense")
        future: Future = Future()
        self._commands.put((command, future))
        try:
            return future.result(timeout_s)
        except FutureTimeout:
            if future.done():
                raise  # the command's own SensorTimeout (a TimeoutError too), not ours
            raise SensorTimeout(
                f"the sensor did not answer within {timeout_s:g} s ({self.state}); "
                "check that it is plugged in, then try again"
            ) from None

    def _run_commands(self) -> None:
        while True:
            try:
                command, future = self._commands.get_nowait()
            except queue.Empty:
                return
            try:
                command(future)
            except Exception as error:  # the request's own failure, for the page to show
                future.set_exception(error)

    def _fail_commands(self) -> None:
        """The thread is ending: nobody will run what is queued."""
        ended = LiveStateError(f"the sensor has stopped ({self.state}); restart pfsense")
        if self._collector is not None:
            self._collector.future.set_exception(ended)
            self._collector = None
        while True:
            try:
                _command, future = self._commands.get_nowait()
            except queue.Empty:
                return
            future.set_exception(ended)

    def _gather(self, what: str, seconds: float, finish, doing: str):
        """`finish(batch)` of the next `seconds` of raw samples, on the acquisition thread; never
        while a session runs (`doing` says what is refused)."""

        def begin(future: Future) -> None:
            self._refuse_during_session(doing)
            self._collect(future, what, seconds, finish)

        return self._call(begin, COMMAND_TIMEOUT_S + seconds + COLLECT_SLACK_S)

    def _refuse_during_session(self, doing: str) -> None:
        if self.session is not None:
            raise LiveStateError(f"stop the session before {doing}")

    def _collect(self, future: Future, what: str, seconds: float, finish) -> None:
        """Gather the next `seconds` of raw samples, then answer `finish(batch)`."""
        if self._collector is not None:
            raise LiveStateError(f"{self._collector.what} is already under way; wait for it")
        needed = round(seconds * self.sensor.rate_hz)
        self._collector = _Collector(future, what, needed, seconds + COLLECT_SLACK_S, finish)

    def _feed_collector(self, batch: Batch | None) -> None:
        collector = self._collector
        if collector is None:
            return
        if batch is not None:
            collector.add(batch)
        if collector.expired():
            self._collector = None
            seconds = collector.needed / self.sensor.rate_hz
            collector.future.set_exception(
                SensorTimeout(
                    f"{collector.what} needs {seconds:g} s of samples and got {collector.samples} "
                    f"in {collector.timeout_s:g} s: the sensor is {self.state}; check it, then "
                    "try again"
                )
            )
        elif collector.full():
            self._collector = None
            try:
                collector.future.set_result(collector.finish(collector.batch()))
            except Exception as error:  # refused (weight on, movement): the page says why
                collector.future.set_exception(error)

    def _apply_tare(self, batch: Batch) -> Calibration:
        old = self.processor.calibration
        offsets = tare_raw(batch, self.sensor.rate_hz, old.counts_per_n, self.sensor.channels)
        source = old.source if old.source.endswith("tared") else f"{old.source}, tared"
        return self._use_calibration(replace(old, offset_counts=offsets, source=source))

    def _use_calibration(self, calibration: Calibration) -> Calibration:
        self.processor.set_calibration(calibration)
        if self.on_calibrated is not None:
            self.on_calibrated(calibration)
        self._publish_status()
        return calibration

    def _start_session(self, future: Future, plan: SessionPlan) -> None:
        if self.session is not None:
            raise LiveStateError(
                f"a session is already running (since {self.session.describe()['started_at']}); "
                "stop it first"
            )
        if self._collector is not None:
            raise LiveStateError(f"{self._collector.what} is under way; wait for it")
        calibration = self.processor.calibration
        self.session = LiveSession(self.sensor, calibration, self.data_dir, plan, self._db)
        self._publish(self.processor.finish())
        self._restart_processing(self._session_features_for(plan))
        self._publish_status()
        future.set_result(self.session.describe())

    def _stop_session(self, future: Future) -> None:
        if self.session is None:
            raise LiveStateError("no session is running; start one first")
        future.set_result(self._end_session("stopped"))

    def _end_session(self, ended_by: str) -> dict:
        """Close the running session with its report; `ended_by` says how it ended."""
        session = self.session
        self._publish(self.processor.finish())
        step = session.step
        if session.clock is None:
            result, status = report(self.processor, self._stats()["samples"], None), "complete"
        else:
            if step is not None and step.phase == "work":  # the segment cut short counts too
                session.end_segment(step.index, self._segment_report(step.index))
            result = routine_summary(session.segment_reports)
            status = "complete" if step is not None and step.phase == "done" else "interrupted"
        self.last_session = session.close(result, status, ended_by)
        self.session = None
        self._restart_processing()
        self._publish_status()
        return self.last_session

    def _follow_routine(self) -> None:
        """At each change of segment or phase: score the segment that ended, set up the next."""
        change = self.session.advance()
        if change is None:
            return
        old, new = change
        if old.phase == "work":
            self.session.end_segment(old.index, self._segment_report(old.index))
        if new.phase == "done":
            self._end_session("routine finished")
            return
        if new.phase == "work":
            self._publish(self.processor.finish())
            self._restart_processing(self._segment_features(new.index))
        self._publish_status()

    def _session_features_for(self, plan: SessionPlan) -> FeatureConfig | None:
        if plan.segments:
            return self._segment_features(0)
        return plan.free_features(self.sensor.rate_hz, self.sensor.layout.is_plate)

    def _segment_features(self, index: int) -> FeatureConfig:
        """The segment's measures; a single cell is also told the segment's zone."""
        plan = self.session.plan
        if not self.sensor.layout.is_plate:
            zone = plan.segments[index].zone
            self._zone = zone if zone in SOLE_ZONES else None
        return plan.segment_features(index, self.sensor.rate_hz, self.sensor.layout.is_plate)

    def _segment_report(self, index: int) -> dict:
        return self.session.plan.segment_report(index, self.processor, self._stats()["samples"])

    def _restart_processing(self, features: FeatureConfig | None = None) -> None:
        """Features from zero, keeping the zero the old processing had reached; `features` for
        a routine's segment, else the service's own."""
        self._session_features = features
        self.processor = self._new_processor(self.processor.calibration)
        self._metrics = None

    def _apply_zone(self, zone: Zone | None) -> None:
        self._zone = zone
        self.processor.zone = zone
        self._publish_status()

    def _new_processor(self, calibration: Calibration) -> Processor:
        processor = Processor(
            self.sensor.layout,
            calibration,
            self.sensor.rate_hz,
            self._session_features or self.features,
            live=True,
            recent_window_s=RECENT_WINDOW_S,
        )
        processor.zone = self._zone
        return processor

    # Acquisition.

    def _stats(self) -> dict:
        """What came from the sensor, as the cleaner counted it (the one place that looks)."""
        cleaning = self.processor.cleaner.stats
        return {
            "samples": cleaning.samples // len(self.sensor.channels),
            "lost_samples": cleaning.lost_samples,
            "rejected_readings": dict(cleaning.rejected),
        }

    def _run(self) -> None:
        try:
            self._open_store()
            self.sensor.start()
            while not self._stop.is_set():
                self._run_commands()
                if not self._step():
                    break
        except SensorClosed:
            pass
        except Exception as error:  # keep serving the page, and say what went wrong on it
            log.exception("acquisition stopped")
            self._set_state("error", f"acquisition stopped: {error}")
        finally:
            if self.session is not None:
                self._end_session("pfsense stopped")
            self._fail_commands()
            if self._db is not None:
                self._db.close()

    def _open_store(self) -> None:
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
            self.message = f"sessions will not be saved: {error}"

    def _step(self) -> bool:
        try:
            batch = self.sensor.read(READ_TIMEOUT_S)
        except SensorTimeout as error:
            self._set_state("stalled", str(error))
            self._feed_collector(None)
            return True
        except SensorClosed:
            return False
        except SensorError as error:
            self._set_state("error", str(error))
            self._feed_collector(None)
            self._stop.wait(READ_TIMEOUT_S)
            return True
        if batch is None:
            if not self._stop.is_set():
                self._publish(self.processor.finish())
                self._publish_metrics(force=True)
                self._set_state("ended", "the recording has ended")
            return False
        if self.session is not None:
            self.session.write(batch)
        self._set_state("streaming", "")
        self._feed_collector(batch)
        self._publish(self.processor.process(batch))
        self._publish_metrics()
        if self.session is not None:
            self._follow_routine()
        if self.session is not None:
            self.session.save_progress(self._metrics)
        return True

    def _publish(self, rows) -> None:
        if not len(rows):
            return  # the first samples wait for the cleaner's look-ahead
        frame = frame_event(rows, self.sensor.layout)
        keys = ("t_s", "force_n", "x_mm", "y_mm")
        self._latest = {key: frame[key][-1] for key in keys if key in frame}
        self.hub.publish(frame)

    def _publish_metrics(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_metrics_mono < METRICS_EVERY_S:
            return
        self._last_metrics_mono = now
        self._metrics = {
            "type": "metrics",
            **report(self.processor, self._stats()["samples"], None),
            "recent": recent_report(self.processor),
        }
        self.hub.publish(self._metrics)

    def _set_state(self, state: str, message: str) -> None:
        changed = state != self.state or message != self.message
        self.state, self.message = state, message
        if changed or time.monotonic() - self._last_status_mono >= STATUS_EVERY_S:
            self._publish_status()

    def _publish_status(self) -> None:
        self._last_status_mono = time.monotonic()
        self.hub.publish(self.status())


class _Collector:
    """Raw batches for a tare or a demonstration, until there are enough or time runs out."""

    def __init__(self, future: Future, what: str, needed: int, timeout_s: float, finish) -> None:
        self.future = future
        self.what = what
        self.needed = needed
        self.timeout_s = timeout_s
        self.finish = finish
        self.samples = 0
        self._batches: list[Batch] = []
        self._deadline_mono = time.monotonic() + timeout_s

    def add(self, batch: Batch) -> None:
        self._batches.append(batch)
        self.samples += len(batch)

    def full(self) -> bool:
        return self.samples >= self.needed

    def expired(self) -> bool:
        return not self.full() and time.monotonic() > self._deadline_mono

    def batch(self) -> Batch:
        return Batch.concat(self._batches).select(slice(0, self.needed))
