"""The `serial:PORT` sensor: a Raspberry Pi Pico running firmware/pico, over USB serial (pyserial).

`serial:auto` finds the Pico's data port; `serial:/dev/ttyACM1` names it. Each line is checked
(pfsense.sensors.pico_link): a corrupted or truncated line is counted and skipped, a duplicate or
late frame is counted and dropped, a gap is flagged DROPPED on the next sample. Samples carry a
host-side sequence number that advances by one per frame plus the frames lost, so lost samples are
counted the same way whatever the Pico did (a reset starts its own count again). The Pico's
microsecond clock gives the sample times, anchored to the host's monotonic clock at the first
frame after each (re)connection; `acquired_at` maps them to the wall clock as it reads then. An
unplugged Pico raises SensorTimeout at each read until it is back, then the sensor reopens the
port and carries on by itself.
"""

import contextlib
import logging
import math
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from pfsense.calibration.model import uncalibrated
from pfsense.errors import SensorClosed, SensorTimeout
from pfsense.sensors.adc import COUNTS_DTYPE
from pfsense.sensors.base import Sensor
from pfsense.sensors.batch import SEQ_MODULO, Batch
from pfsense.sensors.flags import FLAGS_DTYPE, SampleFlag
from pfsense.sensors.layout import Layout
from pfsense.sensors.pacing import wall_clock_at
from pfsense.sensors.pico_link import MAX_LINE_BYTES, Frame, LinkError, SequenceCheck, parse_line

log = logging.getLogger(__name__)

RECONNECT_EVERY_S = 0.5
POLL_S = 0.02  # the longest a read waits on the port at a time, so close() is felt quickly
PICO_USB_VENDORS = (0x2E8A, 0x239A)  # Raspberry Pi; Adafruit (CircuitPython's own)


@dataclass
class LinkStats:
    frames: int = 0
    corrupted: int = 0  # CRC mismatch, truncated or malformed lines
    reconnects: int = 0
    notes: list[str] = field(default_factory=list)  # the Pico's '#' lines, the last few

    def note(self, text: str) -> None:
        self.notes = [*self.notes[-4:], text]


def find_pico_port(ports=None) -> str | None:
    """The data port of a Pico running pfsense's firmware: CircuitPython's second CDC interface
    ("data"), or the higher-numbered of its ports. `ports`: serial.tools.list_ports.comports()."""
    if ports is None:
        from serial.tools import list_ports

        ports = list_ports.comports()
    picos = sorted((p for p in ports if p.vid in PICO_USB_VENDORS), key=lambda p: p.device)
    for port in picos:
        if "data" in (port.interface or "").lower() or "CDC2" in (port.interface or ""):
            return port.device
    return picos[-1].device if picos else None


class SerialSensor(Sensor):
    def __init__(self, port: str, layout: Layout, rate_hz: int = 80, open_port=None) -> None:
        super().__init__(f"serial:{port}", layout, rate_hz, uncalibrated(len(layout.channels)))
        self.port_name = port
        self.stats = LinkStats()
        self._open_port = open_port or _open_serial
        self._port = None
        self._io = threading.Lock()  # one user of the port at a time: a read, a write or close
        self._buffer = b""
        self._next_attempt_mono = 0.0
        self._started_mono = 0.0
        self._previous_seq = 0
        self._last_t_s = -math.inf
        self._host_seq = SEQ_MODULO - 1  # so that the first sample is 0
        self._reset_link()

    def describe(self) -> dict:
        return {
            **super().describe(),
            "connected": self._port is not None,
            "frames": self.stats.frames,
            "corrupted_lines": self.stats.corrupted,
            "duplicates": self._check.duplicates,
            "late": self._check.late,
            "reconnects": self.stats.reconnects,
            "pico": self.stats.notes[-1] if self.stats.notes else None,
        }

    def _start(self) -> None:
        if not self._started_mono:
            self._started_mono = time.monotonic()
        if self._port is None:
            self._connect()
        else:
            self._send(b"start\n")  # resumed after stop(): same link, same count

    def _stop(self) -> None:
        self._send(b"stop\n")

    def _close(self) -> None:
        self._drop_port()

    def _read(self, timeout_s: float) -> Batch | None:
        deadline = time.monotonic() + timeout_s
        while True:
            if self._closed or not self._running:
                raise SensorClosed(f"sensor {self.name!r} was closed while reading")
            if self._port is None and not self._connect():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise SensorTimeout(
                        f"{self.port_name}: the Pico is not connected (unplugged?); "
                        "pfsense keeps trying and carries on when it is back"
                    )
                self._wake.wait(min(RECONNECT_EVERY_S, remaining))
                continue
            rows = self._receive(max(0.0, min(POLL_S, deadline - time.monotonic())))
            if rows:
                return self._batch(rows)
            if time.monotonic() >= deadline:
                # A Pico whose firmware restarted without leaving USB (a soft reset) waits to
                # be told to start again: tell it, every time it goes quiet.
                self._send(b"start\n")
                raise SensorTimeout(
                    f"{self.port_name}: no frame for {timeout_s:g} s: the Pico is connected but "
                    "silent (restarting, or the firmware not running)"
                )

    # The port.

    def _connect(self) -> bool:
        now = time.monotonic()
        if now < self._next_attempt_mono:
            return False
        self._next_attempt_mono = now + RECONNECT_EVERY_S
        name = find_pico_port() if self.port_name == "auto" else self.port_name
        if name is None:
            return False
        try:
            self._port = self._open_port(name)
        except (OSError, ValueError) as error:  # serial.SerialException is an OSError
            log.debug("cannot open %s: %s", name, error)
            return False
        if self.stats.frames or self.stats.reconnects:
            self.stats.reconnects += 1
            log.warning("%s: reconnected", self.port_name)
        channels, rate = len(self.layout.channels), int(self.rate_hz)
        self._send(f"hello\nrate {rate}\nchannels {channels}\nstart\n".encode())
        self._reset_link()
        return True

    def _send(self, data: bytes) -> None:
        with self._io:
            if self._port is None:
                return
            try:
                self._port.write(data)
            except OSError as error:
                self._lost(error, locked=True)

    def _receive(self, wait_s: float) -> list[tuple]:
        with self._io:  # close() from another thread waits for this read to finish
            if self._port is None:
                return []
            try:
                self._port.timeout = wait_s
                chunk = self._port.read(max(1, self._port.in_waiting))
            except OSError as error:
                self._lost(error, locked=True)
                return []
        self._buffer += chunk
        rows = []
        *lines, self._buffer = self._buffer.split(b"\n")
        if len(self._buffer) > MAX_LINE_BYTES:  # no newline in sight: garbage
            self.stats.corrupted += 1
            self._buffer = b""
        for line in lines:
            row = self._row(line)
            if row is not None:
                rows.append(row)
        return rows

    def _lost(self, error: Exception, locked: bool = False) -> None:
        log.warning("%s: lost the Pico (%s); reconnecting", self.port_name, error)
        self._drop_port(locked)

    def _drop_port(self, locked: bool = False) -> None:
        with contextlib.nullcontext() if locked else self._io:
            port, self._port = self._port, None
            self._buffer = b""
            if port is not None:
                with contextlib.suppress(OSError):
                    port.close()

    # Frames to rows.

    def _reset_link(self) -> None:
        """A new connection: the Pico's count and clock start again."""
        self._check = SequenceCheck()
        self._anchor: tuple[int, float] | None = None  # (device t_us, host t_s)

    def _row(self, line: bytes) -> tuple | None:
        if not line.strip():
            return None
        try:
            parsed = parse_line(line, len(self.layout.channels))
        except LinkError:
            self.stats.corrupted += 1
            return None
        if isinstance(parsed, str):
            self.stats.note(parsed)
            return None
        kind = self._check.accept(parsed.seq, parsed.t_us)
        if kind in ("duplicate", "late"):
            return None
        self.stats.frames += 1
        return self._sample(parsed, kind)

    def _sample(self, frame: Frame, kind: str) -> tuple:
        lost = 0
        if kind == "gap":
            lost = (frame.seq - self._previous_seq - 1) % SEQ_MODULO
        if kind == "restart" or self._anchor is None:
            host_t_s = time.monotonic() - self._started_mono
            if self._last_t_s > -math.inf:
                # A reconnection or a Pico reset: samples were lost, how many is unknown.
                host_t_s = max(host_t_s, self._last_t_s + 1.0 / self.rate_hz)
                lost = max(lost, 1)
            self._anchor = (frame.t_us, host_t_s)
        self._previous_seq = frame.seq
        t_s = self._anchor[1] + (frame.t_us - self._anchor[0]) / 1e6
        self._last_t_s = t_s
        self._host_seq = (self._host_seq + 1 + lost) % SEQ_MODULO
        flags = [f | (SampleFlag.DROPPED if lost else 0) for f in frame.flags]
        return t_s, self._host_seq, frame.counts, flags

    def _batch(self, rows: list[tuple]) -> Batch:
        t_s = np.array([row[0] for row in rows])
        return Batch(
            t_s,
            wall_clock_at(self._started_mono + t_s),  # t_s is monotonic from _started_mono
            np.array([row[1] for row in rows], dtype=np.uint16),
            np.array([row[2] for row in rows], dtype=COUNTS_DTYPE),
            np.array([row[3] for row in rows], dtype=FLAGS_DTYPE),
        )


def _open_serial(name: str):
    import serial

    return serial.serial_for_url(name, baudrate=115200, timeout=POLL_S, exclusive=True)
