"""The live service, as the web app and the device's cues use it: start and stop acquisition,
ask for a tare, a demonstration, a calibration step, a session or a zone, and read the status.

Each request is queued to the acquisition thread (pfsense.live.acquisition) and runs there
between reads, so the processing state has one owner; the caller waits for its answer. Reading
the status takes the snapshot the loop last made (pfsense.live.status), never live objects.
"""

import threading
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import replace
from pathlib import Path

from pfsense.calibration.fit import SETTLE_S, TARE_MIN_S, tare_raw
from pfsense.calibration.model import Calibration
from pfsense.clinical.techniques import Zone
from pfsense.dsp.demonstration import DEFAULT_TOLERANCE, propose_target
from pfsense.dsp.features import FeatureConfig
from pfsense.dsp.felt_band import press_force
from pfsense.errors import LiveStateError, SensorTimeout
from pfsense.live.acquisition import COLLECT_SLACK_S, Acquisition
from pfsense.live.hub import Hub
from pfsense.live.session import SessionPlan
from pfsense.live.status import Status
from pfsense.sensors.base import Sensor
from pfsense.sensors.batch import Batch

COMMAND_TIMEOUT_S = 3.0  # a request waits this long for the acquisition thread to take it


class LiveService:
    """Owns the sensor while serving: start() launches acquisition, stop() ends it and closes it.

    `data_dir` is where sessions go: their rows in the database and their recordings in
    `recordings/` (None: sessions are not kept); `on_calibrated` is called with each new
    calibration a tare or the wizard makes (to store it)."""

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
        self.data_dir = data_dir
        self.on_calibrated = on_calibrated
        self.loop = Acquisition(
            sensor,
            self.hub,
            calibration or sensor.nominal_calibration,
            features or FeatureConfig(sensor.rate_hz, sensor.layout.is_plate),
            data_dir,
        )
        self._default_band_n = self.loop.features.target_band_n
        self.hub.on_subscribe = self.loop.wake.set
        self._thread = threading.Thread(
            target=self.loop.run, name="pfsense-acquisition", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.loop.stopping.set()
        self.loop.wake.set()
        self.sensor.close()  # wakes a read blocked in the acquisition thread
        if self._thread.is_alive():
            self._thread.join(timeout=5.0)
        self.loop.set_state("stopped", "pfsense is shutting down")
        self.hub.close()

    # What web threads read: the snapshot only.

    @property
    def snapshot(self) -> Status:
        return self.loop.snapshot

    def status(self) -> dict:
        """A snapshot: what a client needs to (re)synchronise."""
        return self.loop.snapshot.to_dict(self.hub.client_count)

    @property
    def state(self) -> str:
        return self.loop.snapshot.state

    @property
    def session(self) -> dict | None:
        """The running session as the snapshot describes it (None when none runs)."""
        return self.loop.snapshot.session

    @property
    def last_session(self) -> dict | None:
        return self.loop.snapshot.last_session

    # Requests, run on the acquisition thread.

    def tare(self) -> Calibration:
        """Zero every cell from the next second of samples; refused with weight on or movement."""
        doing = "taring (a session's recording keeps one zero throughout)"
        return self._gather("tare", SETTLE_S + TARE_MIN_S, self._apply_tare, doing)

    def demonstrate(self, seconds: float, tolerance: float = DEFAULT_TOLERANCE) -> dict:
        """Watch a therapist press for `seconds`; the target band, cadence and stroke proposed."""

        def propose(batch: Batch) -> dict:
            layout, rate_hz = self.sensor.layout, self.sensor.rate_hz
            calibration = self.loop.processor.calibration
            return propose_target(batch, layout, calibration, rate_hz, tolerance)

        return self._gather("a demonstration", seconds, propose, "recording a demonstration")

    def measure_press(self, seconds: float) -> dict:
        """The median force of the next `seconds` of pressing (a band by feel's press)."""

        def measure(batch: Batch) -> dict:
            calibration = self.loop.processor.calibration
            return press_force(batch, self.sensor.layout, calibration, self.sensor.rate_hz)

        return self._gather("a press", seconds, measure, "measuring a press")

    def use_own_band(self, band_n: tuple[float, float] | None, source: dict) -> None:
        """The band of sessions with no patient from now on: a band by feel, or (None) the
        service's own default again; never while a session runs (it is scored on one band)."""

        def use(future: Future) -> None:
            self.loop.sessions.refuse_during_session("changing the band")
            future.set_result(self.loop.use_own_band(band_n or self._default_band_n, source))

        self._call(use)

    def set_own_band_before_start(self, band_n, source: dict) -> None:
        """The band by feel kept from an earlier run, set before acquisition starts."""
        if self._thread.is_alive():
            raise LiveStateError("the band is set before start; use use_own_band while running")
        self.loop.use_own_band(band_n, source)

    def capture(self, seconds: float) -> Batch:
        """The next `seconds` of raw samples (a calibration step)."""
        return self._gather("a calibration step", seconds, lambda batch: batch, "calibrating")

    def apply_calibration(self, calibration: Calibration) -> None:
        """Use a new calibration from now on (and store it, through `on_calibrated`)."""

        def apply(future: Future) -> None:
            self.loop.sessions.refuse_during_session("calibrating")
            future.set_result(self._use_calibration(calibration))

        self._call(apply)

    def start_session(self, plan: SessionPlan | None = None) -> dict:
        """Start a session (a free one, or a patient's routine); features start from zero."""
        plan = plan or SessionPlan()
        return self._call(lambda future: future.set_result(self.loop.sessions.start(plan)))

    def stop_session(self) -> dict:
        """End the session; its summary (also in status as `last_session`)."""
        return self._call(lambda future: future.set_result(self.loop.sessions.stop()))

    def set_zone(self, zone: Zone | None) -> None:
        """Single cell: the zone being worked from now on, which coverage credits."""
        if self.sensor.layout.is_plate:
            raise LiveStateError("the plate finds the zone by itself; a zone is set for one cell")
        self._call(lambda future: future.set_result(self.loop.set_zone(zone)))

    def _call(self, command: Callable[[Future], None], timeout_s: float = COMMAND_TIMEOUT_S):
        """Run `command(future)` on the acquisition thread; wait for the future's result."""
        if not self._thread.is_alive():
            raise LiveStateError(f"the sensor is not running ({self.state}); restart pfsense")
        future: Future = Future()
        self.loop.submit(command, future)
        try:
            return future.result(timeout_s)
        except FutureTimeout:
            if future.done():
                raise  # the command's own SensorTimeout (a TimeoutError too), not ours
            raise SensorTimeout(
                f"the sensor did not answer within {timeout_s:g} s ({self.state}); "
                "check that it is plugged in, then try again"
            ) from None

    def _gather(self, what: str, seconds: float, finish, doing: str):
        """`finish(batch)` of the next `seconds` of raw samples, on the acquisition thread; never
        while a session runs (`doing` says what is refused)."""

        def begin(future: Future) -> None:
            self.loop.sessions.refuse_during_session(doing)
            self.loop.collect(future, what, seconds, finish)

        return self._call(begin, COMMAND_TIMEOUT_S + seconds + COLLECT_SLACK_S)

    def _apply_tare(self, batch: Batch) -> Calibration:
        batch = batch.select(slice(round(SETTLE_S * self.sensor.rate_hz), None))  # hands off
        old = self.loop.processor.calibration
        offsets = tare_raw(batch, self.sensor.rate_hz, old.counts_per_n, self.sensor.channels)
        source = old.source if old.source.endswith("tared") else f"{old.source}, tared"
        return self._use_calibration(replace(old, offset_counts=offsets, source=source))

    def _use_calibration(self, calibration: Calibration) -> Calibration:
        self.loop.use_calibration(calibration)
        if self.on_calibrated is not None:
            self.on_calibrated(calibration)
        return calibration
