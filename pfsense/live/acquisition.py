"""The acquisition loop: one thread that reads the sensor, turns batches into frames, publishes
them, and runs the page's requests between reads.

It never waits on the web: publishing only hands each client's bounded buffer the same encoded
bytes (pfsense.live.hub). It owns the processing state and the session controller, so neither
needs locks; web threads read only the status snapshot it replaces whole (pfsense.live.status).

With a stream client (a page, the device's cues) every read is taken as soon as it comes, so a
sample reaches the page within milliseconds. With none, nobody is waiting for a frame: the loop
reads every IDLE_READ_S instead, the same samples in fewer, larger batches, which costs a
fraction of the wake-ups. A new client or a request wakes it at once.
"""

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import replace

from pfsense.calibration.model import Calibration
from pfsense.clinical.techniques import Zone
from pfsense.dsp.features import FeatureConfig
from pfsense.dsp.pipeline import Processed, Processor
from pfsense.dsp.recent import RECENT_WINDOW_S
from pfsense.dsp.report import recent_report, report
from pfsense.errors import LiveStateError, SensorClosed, SensorError, SensorTimeout
from pfsense.live.controller import SessionController
from pfsense.live.frames import frame_event, frame_sse
from pfsense.live.hub import Hub
from pfsense.live.status import Status
from pfsense.sensors.base import Sensor
from pfsense.sensors.batch import Batch

log = logging.getLogger(__name__)

READ_TIMEOUT_S = 0.5  # a dead sensor shows as stalled within half a second
IDLE_READ_S = 0.1  # with no stream client: ten reads a second
STATUS_EVERY_S = 1.0
METRICS_EVERY_S = 0.5  # the page's rhythm, score and coaching: a few times a second
COLLECT_SLACK_S = 2.0  # a tare or demonstration waits this much longer than it needs


class Acquisition:
    """The loop's state. Everything here runs on the acquisition thread, but for `snapshot`,
    `wake` and `submit`, which any thread may use."""

    def __init__(
        self,
        sensor: Sensor,
        hub: Hub,
        calibration: Calibration,
        features: FeatureConfig,
        data_dir,
    ) -> None:
        self.sensor = sensor
        self.hub = hub
        self.features = features
        self.zone: Zone | None = None
        self.sessions = SessionController(self, data_dir)
        self._session_features: FeatureConfig | None = None
        self.processor = self._new_processor(calibration)
        self.state, self.message = "starting", ""
        self.collector: Collector | None = None
        self.snapshot = Status()
        self.wake = threading.Event()  # cuts an idle wait short: a client or a request came
        self.stopping = threading.Event()
        self.hide_names = False  # bound to the network: status carries patient ids, not names
        # Where the band of a session with no patient comes from: the default, or the band by
        # feel the device's person set (pfsense.live.felt_band).
        self.own_band_source: dict = {"source": "default"}
        self._commands: queue.SimpleQueue = queue.SimpleQueue()
        self._metrics: dict | None = None
        self._latest: dict | None = None
        self._last_status_mono = 0.0
        self._last_metrics_mono = 0.0
        self._last_read_mono = 0.0
        self.changed(publish=False)

    # Requests from other threads.

    def submit(self, command: Callable[[Future], None], future: Future) -> None:
        self._commands.put((command, future))
        self.wake.set()

    def _run_commands(self) -> None:
        if self._commands.empty():  # the usual read: no request, and no exception raised
            return
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
        if self.collector is not None:
            self.collector.future.set_exception(ended)
            self.collector = None
        while True:
            try:
                _command, future = self._commands.get_nowait()
            except queue.Empty:
                return
            future.set_exception(ended)

    # The loop.

    def run(self) -> None:
        try:
            self.sessions.open_store()
            self.sensor.start()
            while not self.stopping.is_set():
                self._run_commands()
                if not self._step():
                    break
                self._pace()
        except SensorClosed:
            pass
        except Exception as error:  # keep serving the page, and say what went wrong on it
            log.exception("acquisition stopped")
            self.set_state("error", f"acquisition stopped: {error}")
        finally:
            self._close_down()

    def _close_down(self) -> None:
        """The thread is ending: close the session (keeping what it has), answer every request
        still queued, close the store; one failing does not keep the others from happening."""
        if self.sessions.session is not None:
            try:
                self.sessions.end("pfsense stopped")
            except Exception:
                log.exception("the running session could not be closed cleanly")
        self._fail_commands()
        self.sessions.close_store()

    def _pace(self) -> None:
        """With nobody watching, wait out the rest of IDLE_READ_S before the next read; never for
        a sensor that would lose the samples meanwhile (gpio converts only while it is read)."""
        if self.hub.client_count or not self.sensor.keeps_samples_between_reads:
            return
        pause_s = self._last_read_mono + IDLE_READ_S - time.monotonic()
        if pause_s > 0:
            self.wake.wait(pause_s)
        self.wake.clear()

    def _step(self) -> bool:
        self._last_read_mono = time.monotonic()
        try:
            batch = self.sensor.read(READ_TIMEOUT_S)
        except SensorTimeout as error:
            self.set_state("stalled", str(error))
            self._feed_collector(None)
            return True
        except SensorClosed:
            return False
        except SensorError as error:
            self.set_state("error", str(error))
            self._feed_collector(None)
            self.stopping.wait(READ_TIMEOUT_S)
            return True
        if batch is None:
            if not self.stopping.is_set():
                self.flush()
                self._publish_metrics(force=True)
                self.set_state("ended", "the recording has ended")
            return False
        self.sessions.write(batch)
        self.set_state("streaming", "")
        self._feed_collector(batch)
        self.publish(self.processor.process(batch))
        self._publish_metrics()
        self.sessions.after_batch(self._metrics)
        return True

    # Publishing.

    def publish(self, rows: Processed) -> None:
        if not len(rows):
            return  # a suspect first sample waits for its neighbours
        frame = frame_event(rows, self.sensor.layout)
        keys = ("t_s", "force_n", "x_mm", "y_mm")
        self._latest = {key: frame[key][-1] for key in keys if key in frame}
        self.hub.publish(frame, frame_sse)

    def flush(self) -> None:
        """The rows the processor still holds: out, and into its features."""
        self.publish(self.processor.finish())

    def _publish_metrics(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_metrics_mono < METRICS_EVERY_S:
            return
        self._last_metrics_mono = now
        reference = self.sessions.force_reference()
        self._metrics = {
            "type": "metrics",
            **report(self.processor, self.samples(), None, reference=reference),
            "recent": recent_report(self.processor, reference),
        }
        self.hub.publish(self._metrics)
        self.changed(publish=False)  # the snapshot carries the newest metrics and sample

    def set_state(self, state: str, message: str) -> None:
        changed = state != self.state or message != self.message
        self.state, self.message = state, message
        if changed or time.monotonic() - self._last_status_mono >= STATUS_EVERY_S:
            self.changed()

    def changed(self, publish: bool = True) -> None:
        """Something the status shows has changed: a new snapshot, and (unless told not to) a
        status event for the stream."""
        processor = self.processor
        self.snapshot = Status(
            state=self.state,
            message=self.message or self.sessions.problem,
            sensor=self.sensor.describe(),
            stats=self.stats(),
            latest=self._latest,
            target_band_n=tuple(processor.tracker.config.target_band_n),
            band_source=self.sessions.band_source(),
            calibration={
                "source": processor.calibration.source,
                "rezeros": processor.autozero.rezeros if processor.autozero else 0,
            },
            zone=self.zone.value if self.zone else None,
            session=self._named(self.sessions.describe()),
            last_session=self._named(self.sessions.last_session),
            metrics=self._metrics,
        )
        if publish:
            self._last_status_mono = time.monotonic()
            self.hub.publish(self.snapshot.to_dict(self.hub.client_count))

    def _named(self, described: dict | None) -> dict | None:
        """A session as status shows it. When anyone on the network is sent it, a patient's
        session is shown by id, progress and step only: no name, report or recording (a
        paired browser reads those from the API)."""
        return private_view(described) if self.hide_names else described

    # Processing.

    def stats(self) -> dict:
        """What came from the sensor, as the cleaner counted it (the one place that looks)."""
        cleaning = self.processor.cleaner.stats
        return {
            "samples": self.samples(),
            "lost_samples": cleaning.lost_samples,
            "rejected_readings": dict(cleaning.rejected),
        }

    def samples(self) -> int:
        return self.processor.cleaner.stats.samples // len(self.sensor.channels)

    def restart_processing(self, features: FeatureConfig | None = None) -> None:
        """Features from zero, keeping the zero the old processing had reached; `features` for
        a routine's segment, else the service's own."""
        self.flush()
        self._session_features = features
        self.processor = self._new_processor(self.processor.calibration)
        self._metrics = None
        self.changed()

    def use_own_band(self, band_n, source: dict) -> None:
        """Sessions with no patient are measured against `band_n` from now on."""
        self.features = replace(self.features, target_band_n=tuple(band_n))
        self.own_band_source = source
        self.restart_processing()

    def use_calibration(self, calibration: Calibration) -> None:
        self.processor.set_calibration(calibration)
        self.changed()

    def set_zone(self, zone: Zone | None) -> None:
        self.zone = zone
        self.processor.zone = zone
        self.changed()

    def _new_processor(self, calibration: Calibration) -> Processor:
        processor = Processor(
            self.sensor.layout,
            calibration,
            self.sensor.rate_hz,
            self._session_features or self.features,
            recent_window_s=RECENT_WINDOW_S,
        )
        processor.zone = self.zone
        return processor

    # Gathering raw samples for a tare, a demonstration or a calibration step.

    def refuse_while_collecting(self) -> None:
        if self.collector is not None:
            raise LiveStateError(f"{self.collector.what} is under way; wait for it")

    def collect(self, future: Future, what: str, seconds: float, finish) -> None:
        """Gather `seconds` of raw samples acquired after this request was taken, then answer
        `finish(batch)`."""
        if self.collector is not None:
            raise LiveStateError(f"{self.collector.what} is already under way; wait for it")
        needed = round(seconds * self.sensor.rate_hz)
        self.collector = Collector(future, what, needed, seconds + COLLECT_SLACK_S, finish)

    def _feed_collector(self, batch: Batch | None) -> None:
        collector = self.collector
        if collector is None:
            return
        if batch is not None:
            collector.add(batch)
        if collector.expired():
            self.collector = None
            seconds = collector.needed / self.sensor.rate_hz
            collector.future.set_exception(
                SensorTimeout(
                    f"{collector.what} needs {seconds:g} s of samples and got {collector.samples} "
                    f"in {collector.timeout_s:g} s: the sensor is {self.state}; check it, then "
                    "try again"
                )
            )
        elif collector.full():
            self.collector = None
            try:
                collector.future.set_result(collector.finish(collector.batch()))
            except Exception as error:  # refused (weight on, movement): the page says why
                collector.future.set_exception(error)


class Collector:
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
        # The first read after the request holds what came in while it waited (up to a tenth
        # of a second with nobody watching): from before the person asked, so it is let go.
        self._first = True

    def add(self, batch: Batch) -> None:
        if self._first:
            self._first = False
            return
        self._batches.append(batch)
        self.samples += len(batch)

    def full(self) -> bool:
        return self.samples >= self.needed

    def expired(self) -> bool:
        return not self.full() and time.monotonic() > self._deadline_mono

    def batch(self) -> Batch:
        return Batch.concat(self._batches).select(slice(0, self.needed))


PRIVATE_KEYS = ("report", "recording")  # what only a paired browser may read


def private_view(described: dict | None) -> dict | None:
    """A session's description for anyone on the network: a free session as it is; a patient's
    without their name, report or recording (the routine's step stays: the page guides by it)."""
    if described is None or described.get("patient_id") is None:
        return described
    kept = {k: v for k, v in described.items() if k not in PRIVATE_KEYS}
    return {**kept, "patient_name": None}
