"""The one sensor interface every driver implements.

A sensor is a context manager: ``with open_sensor("sim") as sensor: batch = sensor.read()``.
`read` returns the samples acquired since the last call as a Batch, waits at most `timeout_s` for
the first, raises SensorTimeout when none came, and returns None when a finite source (a
recording) is over. `close` is idempotent and wakes a reader blocked in another thread.
"""

import abc
import threading
from collections.abc import Iterator

from pfsense.calibration.model import Calibration
from pfsense.errors import SensorClosed, SensorError
from pfsense.sensors.batch import Batch
from pfsense.sensors.layout import Layout

DEFAULT_TIMEOUT_S = 1.0


class Sensor(abc.ABC):
    """Base class: the state machine (stopped -> running -> stopped ... -> closed) lives here;
    drivers fill in `_read` and, if they hold resources, `_start`, `_stop` and `_close`."""

    # True when samples wait for the reader between reads (a port's buffer, a paced source), so
    # reading less often loses nothing; a driver that converts only while it is read says False.
    keeps_samples_between_reads = True

    def __init__(self, name: str, layout: Layout, rate_hz: float, calibration: Calibration) -> None:
        self.name = name
        self.layout = layout
        self.rate_hz = rate_hz
        self.nominal_calibration = calibration
        self._lock = threading.Lock()
        self._wake = threading.Event()  # set by stop/close to cut a blocked read short
        self._running = False
        self._closed = False

    @property
    def channels(self) -> tuple[str, ...]:
        return self.layout.channels

    @property
    def is_running(self) -> bool:
        return self._running

    @property
    def is_closed(self) -> bool:
        return self._closed

    def start(self) -> None:
        """Begin acquiring. Starting a running sensor does nothing."""
        with self._lock:
            self._check_open()
            if not self._running:
                self._wake.clear()
                self._start()
                self._running = True

    def stop(self) -> None:
        """Stop acquiring; `start` resumes. Stopping a stopped sensor does nothing."""
        with self._lock:
            if self._running:
                self._running = False
                self._wake.set()
                self._stop()

    def close(self) -> None:
        """Stop and release the sensor. Safe to call any number of times, from any thread."""
        self.stop()
        with self._lock:
            if not self._closed:
                self._closed = True
                self._wake.set()
                self._close()

    def read(self, timeout_s: float = DEFAULT_TIMEOUT_S) -> Batch | None:
        """The samples acquired since the last read (at least one), or None at the end of a
        finite source. Raises SensorTimeout after `timeout_s` without a sample."""
        self._check_open()
        if not self._running:
            raise SensorError(
                f"sensor {self.name!r} is stopped: call start() (or use it in a with block)"
            )
        return self._read(timeout_s)

    def describe(self) -> dict:
        """What the status page shows about this sensor."""
        return {
            "name": self.name,
            "rate_hz": self.rate_hz,
            "running": self._running,
            "calibration": self.nominal_calibration.source,
            **self.layout.to_dict(),
        }

    def __enter__(self) -> "Sensor":
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __iter__(self) -> Iterator[Batch]:
        """Batches until the source ends (a recording) or the sensor is stopped or closed."""
        while self._running:
            batch = self.read()
            if batch is None:
                return
            yield batch

    def _check_open(self) -> None:
        if self._closed:
            raise SensorClosed(f"sensor {self.name!r} is closed: open it again to read")

    def _start(self) -> None:  # noqa: B027 - optional hook
        pass

    def _stop(self) -> None:  # noqa: B027 - optional hook
        pass

    def _close(self) -> None:  # noqa: B027 - optional hook
        pass

    @abc.abstractmethod
    def _read(self, timeout_s: float) -> Batch | None: ...
