"""The live loop: a thread that reads the sensor, turns batches into frames and publishes them.

Acquisition runs on its own thread and never waits on the web: publishing only appends to each
client's bounded buffer (pfsense.hub).
"""

import logging
import threading
import time

import numpy as np

from pfsense.calibration import Calibration
from pfsense.errors import SensorClosed, SensorError, SensorTimeout
from pfsense.frames import frame_event
from pfsense.hub import Hub
from pfsense.sensors.base import Sensor
from pfsense.sensors.batch import Batch, seq_gaps
from pfsense.sensors.flags import SampleFlag

log = logging.getLogger(__name__)

READ_TIMEOUT_S = 0.5  # a dead sensor shows as stalled within half a second
STATUS_EVERY_S = 1.0


class SensorStats:
    """Running counts of what came from the sensor: samples, losses and flags."""

    def __init__(self) -> None:
        self.samples = 0
        self.lost_samples = 0
        self.flagged = {flag.name: 0 for flag in SampleFlag}
        self._last_seq: int | None = None

    def add(self, batch: Batch) -> None:
        self.samples += len(batch)
        self.lost_samples += int(seq_gaps(batch.seq, self._last_seq).sum())
        self._last_seq = int(batch.seq[-1])
        any_channel = np.bitwise_or.reduce(batch.flags, axis=1)
        for flag in SampleFlag:
            self.flagged[flag.name] += int(np.count_nonzero(any_channel & flag))

    def to_dict(self) -> dict:
        return {
            "samples": self.samples,
            "lost_samples": self.lost_samples,
            "flagged_samples": dict(self.flagged),
        }


class LiveService:
    """Owns the sensor while serving: start() launches acquisition, stop() ends it and closes it."""

    def __init__(
        self, sensor: Sensor, calibration: Calibration | None = None, hub: Hub | None = None
    ) -> None:
        self.sensor = sensor
        self.calibration = calibration or sensor.nominal_calibration
        self.hub = hub or Hub()
        self.stats = SensorStats()
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

    @property
    def is_running(self) -> bool:
        return self._thread.is_alive() and not self._stop.is_set()

    def status(self) -> dict:
        """A snapshot: what a client needs to (re)synchronise."""
        return {
            "type": "status",
            "state": self.state,
            "message": self.message,
            "sensor": self.sensor.describe(),
            "stats": self.stats.to_dict(),
            "clients": self.hub.client_count,
            "latest": self._latest,
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
                self._set_state("ended", "the recording has ended")
            return False
        self.stats.add(batch)
        frame = frame_event(batch, self.calibration, self.sensor.layout)
        self._latest = {
            key: frame[key][-1] for key in ("t_s", "force_n", "x_mm", "y_mm") if key in frame
        }
        self._set_state("streaming", "")
        self.hub.publish(frame)
        return True

    def _set_state(self, state: str, message: str) -> None:
        changed = state != self.state or message != self.message
        self.state, self.message = state, message
        now = time.monotonic()
        if changed or now - self._last_status_mono >= STATUS_EVERY_S:
            self._last_status_mono = now
            self.hub.publish(self.status())
