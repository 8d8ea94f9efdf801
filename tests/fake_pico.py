"""A Pico on a pseudo-terminal: the real firmware (firmware/pico) with emulated HX711s, serving a
pty whose slave is reached through a stable symlink, as /dev/serial/by-id/... is on a Pi. The
firmware runs on the stand-ins' virtual clock, paced to real time. `unplug()` closes the pty (the
port vanishes); `plug_in()` makes a new one behind the same link, with a freshly booted Pico."""

import contextlib
import itertools
import os
import threading
import time
import tty

from .firmware import channels
from .hx711_emulator import EmulatedHX711


class PtyPort:
    """usb_cdc.data over the pty's master side."""

    def __init__(self, fd):
        self.fd = fd
        os.set_blocking(fd, False)
        self.mangle = None  # a test's hook: bytes written -> bytes sent

    @property
    def in_waiting(self):
        with contextlib.suppress(BlockingIOError, OSError):
            self._pending = getattr(self, "_pending", b"") + os.read(self.fd, 4096)
        return len(getattr(self, "_pending", b""))

    def read(self, n):
        data, self._pending = self._pending[:n], self._pending[n:]
        return data

    def write(self, data):
        if self.mangle is not None:
            data = self.mangle(data)
        while data:
            try:
                data = data[os.write(self.fd, data) :]
            except BlockingIOError:
                time.sleep(0.001)
            except OSError:
                return  # unplugged


class FakePico:
    def __init__(self, cp, link_path, cells=4, values=None):
        self.cp = cp
        self.link_path = link_path
        self.cells = cells
        self.values = values or (lambda cell: itertools.count(1000 * (cell + 1)))
        self.port = None
        self.firmware = None
        self._thread = None
        self._stop = threading.Event()

    def plug_in(self):
        master, slave = os.openpty()
        tty.setraw(slave)
        name = os.ttyname(slave)
        os.close(slave)
        if self.link_path.is_symlink():
            self.link_path.unlink()
        self.link_path.symlink_to(name)
        clock = self.cp.microcontroller.clock
        clock.now_us = 0.0  # a fresh boot
        emulators = [EmulatedHX711(clock, self.values(cell)) for cell in range(self.cells)]
        self.port = PtyPort(master)
        self.firmware = self.cp.main.Firmware(
            self.port, channels(self.cp, emulators), lambda: int(clock.now_us),
            self.cp.microcontroller.delay_us,
        )  # fmt: skip
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def soft_reset(self):
        """The firmware starts again on the same USB link (Ctrl-D, or a crash and reload): its
        count and clock from zero, and stopped until told to start."""
        self._stop.set()
        self._thread.join(5)
        clock = self.cp.microcontroller.clock
        clock.now_us = 0.0
        self.firmware = self.cp.main.Firmware(
            self.port, self.firmware.all_channels, lambda: int(clock.now_us),
            self.cp.microcontroller.delay_us,
        )  # fmt: skip
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def unplug(self):
        self._stop.set()
        self._thread.join(5)
        os.close(self.port.fd)
        self.link_path.unlink()

    def _run(self):
        clock = self.cp.microcontroller.clock
        started = time.monotonic()
        while not self._stop.is_set():
            self.firmware.step()
            ahead_s = clock.now_us / 1e6 - (time.monotonic() - started)
            if ahead_s > 0:
                time.sleep(ahead_s)
