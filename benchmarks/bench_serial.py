"""The serial:PORT driver's cost per frame on the Pi's side: 4-cell lines from the firmware's own
encoder, parsed, checked (CRC, sequence) and batched, from an in-memory port.

Run: .venv/bin/python benchmarks/bench_serial.py
"""

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "firmware" / "pico" / "lib"))

from pfsense_pico.link import encode_frame  # noqa: E402 - the firmware's encoder, as on the Pico

from pfsense.sensors.layout import make_layout  # noqa: E402
from pfsense.sensors.serial_port import SerialSensor  # noqa: E402

try:
    from benchmarks.common import report
except ImportError:
    from common import report

FRAMES = 80 * 60  # a minute at 80 SPS


class MemoryPort:
    def __init__(self, data: bytes, chunk: int) -> None:
        self.data, self.chunk, self.timeout = data, chunk, 0.0

    @property
    def in_waiting(self) -> int:
        return min(self.chunk, len(self.data))

    def read(self, n: int) -> bytes:
        out, self.data = self.data[:n], self.data[n:]
        return out

    def write(self, data: bytes) -> int:
        return len(data)

    def close(self) -> None:
        pass


def lines() -> bytes:
    return b"".join(
        encode_frame(i, 12500 * i, [100000 + i, -200000 - i, 300000, -400000], [0, 0, 0, 0])
        for i in range(FRAMES)
    )


def us_per_frame(data: bytes, chunk: int) -> float:
    timings = []
    for _ in range(5):
        port = MemoryPort(data, chunk)
        sensor = SerialSensor("memory", make_layout("plate4"), 80, open_port=lambda _, p=port: p)
        sensor.start()
        started = time.perf_counter()
        received = 0
        while received < FRAMES:
            received += len(sensor.read(1.0))
        timings.append((time.perf_counter() - started) / FRAMES * 1e6)
        sensor.close()
    return statistics.median(timings)


def main() -> None:
    data = lines()
    report("serial driver, plate4 frames arriving one by one", us_per_frame(data, 60), "us/frame")
    report("serial driver, 64-byte USB packets", us_per_frame(data, 64), "us/frame")
    report("serial line length, plate4", len(data) / FRAMES, "bytes/frame", "x 80/s")


if __name__ == "__main__":
    main()
