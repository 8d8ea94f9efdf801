"""The live loop: a thread that reads the sensor, turns batches into frames and publishes them.

Acquisition runs on its own thread and never waits on the web: publishing only appends to each
client's bounded buffer (pfsense.hub).
"""

import logging
import threading
import time

from pfsense.analysis import report
from pfsense.calibration import Calibration
from pfsense.dsp.features import FeatureConfig
from pfsense.dsp.pipeline import Processor
from pfsense.errors import SensorClosed, SensorError, SensorTimeout
from pfsense.frames import frame_event
from pfsense.hub import Hub
from pfsense.sensors.base import Sensor

log = logging.getLogger(__name__)

READ_TIMEOUT_S = 0.5  # a dead sensor shows as stalled within half a second
STATUS_EVERY_S = 1.0
METRICS_EVERY_S = 0.5  # the page's rhythm, score and coaching: a few times a second


class LiveService:
    """Owns the sensor while serving: start() launches acquisition, stop() ends it and closes it."""

    def __init__(
        self,
        sensor: Sensor,
        calibration: Calibration | None = None,
        hub: Hub | None = None,
        features: FeatureConfig | None = None,
    ) -> None:
        self.sensor = sensor
        self.calibration = calibration or sensor.nominal_calibration
        self.hub = hub or Hub()
        features = features or FeatureConfig(sensor.rate_hz, sensor.layout.is_plate)
        self.processor = Processor(
            sensor.layout, self.calibration, sensor.rate_hz, features, live=True
        )
        self._last_metrics_mono = 0.0
        self._metrics: dict | None = None
        self.state = "starting"  # starting | streaming | stalled | ended | error | stopped
        self.message = ""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pfsense-acquisition", daemon=True)
        self._last_status_mono = 0.0
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
            "metrics": self._metrics,
        }

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
                if not self._step():
                    break
        except SensorClosed:
            pass
        except Exception as error:  # keep serving the page, and say what went wrong on it
            log.exception("acquisition stopped")
            self._set_state("error", f"acquisition stopped: {error}")

    def _step(self) -> bool:
        try:
            batch = self.sensor.read(READ_TIMEOUT_S)
        except SensorTimeout as error:
            self._set_state("stalled", str(error))
            return True
        except SensorClosed:
            return False
        except SensorError as error:
            self._set_state("error", str(error))
            self._stop.wait(READ_TIMEOUT_S)
            return True
        if batch is None:
            if not self._stop.is_set():
                self._publish(self.processor.finish())
                self._publish_metrics(force=True)
                self._set_state("ended", "the recording has ended")
            return False
        self._set_state("streaming", "")
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
        }
        self.hub.publish(self._metrics)

    def _set_state(self, state: str, message: str) -> None:
        changed = state != self.state or message != self.message
        self.state, self.message = state, message
        now = time.monotonic()
        if changed or now - self._last_status_mono >= STATUS_EVERY_S:
            self._last_status_mono = now
            self.hub.publish(self.status())
