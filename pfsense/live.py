"""The live loop: a thread that reads the sensor, turns batches into frames and publishes them.

Acquisition runs on its own thread and never waits on the web: publishing only appends to each
client's bounded buffer (pfsense.hub). Requests from the page (tare, start and stop a session, the
zone being worked) are queued to that thread and run between reads, so the processing state has
one owner and needs no locks.
"""

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import replace
from pathlib import Path

from pfsense.analysis import recent_report, report
from pfsense.calibration import Calibration
from pfsense.dsp.calibrate import TARE_MIN_S, tare_raw
from pfsense.dsp.features import FeatureConfig
from pfsense.dsp.pipeline import Processor
from pfsense.dsp.recent import RECENT_WINDOW_S
from pfsense.errors import LiveStateError, SensorClosed, SensorError, SensorTimeout
from pfsense.frames import frame_event
from pfsense.hub import Hub
from pfsense.live_session import LiveSession
from pfsense.sensors.base import Sensor
from pfsense.sensors.batch import Batch
from pfsense.techniques import Zone

log = logging.getLogger(__name__)

READ_TIMEOUT_S = 0.5  # a dead sensor shows as stalled within half a second
STATUS_EVERY_S = 1.0
METRICS_EVERY_S = 0.5  # the page's rhythm, score and coaching: a few times a second
COMMAND_TIMEOUT_S = 3.0  # a request waits this long for the acquisition thread to take it
TARE_TIMEOUT_S = TARE_MIN_S + 2.0  # a second of samples, and some slack for a slow start


class LiveService:
    """Owns the sensor while serving: start() launches acquisition, stop() ends it and closes it.

    `recordings_dir` is where sessions' recordings go (None: sessions are not recorded);
    `on_calibrated` is called with each new calibration a tare makes (to store it)."""

    def __init__(
        self,
        sensor: Sensor,
        calibration: Calibration | None = None,
        hub: Hub | None = None,
        features: FeatureConfig | None = None,
        recordings_dir: Path | None = None,
        on_calibrated: Callable[[Calibration], None] | None = None,
    ) -> None:
        self.sensor = sensor
        self.hub = hub or Hub()
        self.features = features or FeatureConfig(sensor.rate_hz, sensor.layout.is_plate)
        self.recordings_dir = recordings_dir
        self.on_calibrated = on_calibrated
        self._zone: Zone | None = None
        self.processor = self._new_processor(calibration or sensor.nominal_calibration)
        self.session: LiveSession | None = None
        self.last_session: dict | None = None
        self.state = "starting"  # starting | streaming | stalled | ended | error | stopped
        self.message = ""
        self._commands: queue.SimpleQueue = queue.SimpleQueue()
        self._tare: _TareCollector | None = None
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
        return self._call(self._begin_tare, COMMAND_TIMEOUT_S + TARE_TIMEOUT_S)

    def start_session(self) -> dict:
        """Start recording a session; its features start from zero."""
        return self._call(self._start_session)

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
            "target_band_n": list(self.features.target_band_n),
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
        if self._tare is not None:
            self._tare.future.set_exception(ended)
            self._tare = None
        while True:
            try:
                _command, future = self._commands.get_nowait()
            except queue.Empty:
                return
            future.set_exception(ended)

    def _begin_tare(self, future: Future) -> None:
        if self.session is not None:
            raise LiveStateError(
                "stop the session before taring: a session's recording keeps one zero throughout"
            )
        if self._tare is not None:
            raise LiveStateError("a tare is already under way")
        self._tare = _TareCollector(future, round(TARE_MIN_S * self.sensor.rate_hz))

    def _feed_tare(self, batch: Batch | None) -> None:
        collector = self._tare
        if collector is None:
            return
        if batch is not None:
            collector.add(batch)
        if collector.expired():
            self._tare = None
            collector.future.set_exception(
                SensorTimeout(
                    f"tare needs {TARE_MIN_S:g} s of samples and got {collector.samples} in "
                    f"{TARE_TIMEOUT_S:g} s: the sensor is {self.state}; check it, then tare again"
                )
            )
        elif collector.full():
            self._tare = None
            try:
                collector.future.set_result(self._apply_tare(collector.batch()))
            except Exception as error:  # refused (weight on, movement): the page says why
                collector.future.set_exception(error)

    def _apply_tare(self, batch: Batch) -> Calibration:
        old = self.processor.calibration
        offsets = tare_raw(batch, self.sensor.rate_hz, old.counts_per_n, self.sensor.channels)
        source = old.source if old.source.endswith("tared") else f"{old.source}, tared"
        calibration = replace(old, offset_counts=offsets, source=source)
        self.processor.set_calibration(calibration)
        if self.on_calibrated is not None:
            self.on_calibrated(calibration)
        self._publish_status()
        return calibration

    def _start_session(self, future: Future) -> None:
        if self.session is not None:
            raise LiveStateError(
                f"a session is already running (since {self.session.describe()['started_at']}); "
                "stop it first"
            )
        self.session = LiveSession(self.sensor, self.processor.calibration, self.recordings_dir)
        self._publish(self.processor.finish())
        self._restart_processing()
        self._publish_status()
        future.set_result(self.session.describe())

    def _stop_session(self, future: Future) -> None:
        if self.session is None:
            raise LiveStateError("no session is running; start one first")
        self._publish(self.processor.finish())
        result = report(self.processor, self._stats()["samples"], None)
        self.last_session = {**self.session.close(), "report": result}
        self.session = None
        self._restart_processing()
        self._publish_status()
        future.set_result(self.last_session)

    def _restart_processing(self) -> None:
        """Features from zero, keeping the zero the old processing had reached."""
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
            self.features,
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
                self.last_session = self.session.close()
                self.session = None
            self._fail_commands()

    def _step(self) -> bool:
        try:
            batch = self.sensor.read(READ_TIMEOUT_S)
        except SensorTimeout as error:
            self._set_state("stalled", str(error))
            self._feed_tare(None)
            return True
        except SensorClosed:
            return False
        except SensorError as error:
            self._set_state("error", str(error))
            self._feed_tare(None)
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
        self._feed_tare(batch)
        self._publish(self.processor.process(batch))
        self._publish_metrics()
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


class _TareCollector:
    """Raw batches for a tare, until there are enough or time runs out."""

    def __init__(self, future: Future, needed: int) -> None:
        self.future = future
        self.needed = needed
        self.samples = 0
        self._batches: list[Batch] = []
        self._deadline_mono = time.monotonic() + TARE_TIMEOUT_S

    def add(self, batch: Batch) -> None:
        self._batches.append(batch)
        self.samples += len(batch)

    def full(self) -> bool:
        return self.samples >= self.needed

    def expired(self) -> bool:
        return not self.full() and time.monotonic() > self._deadline_mono

    def batch(self) -> Batch:
        return Batch.concat(self._batches)
