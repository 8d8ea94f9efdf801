"""The gpio driver's waiting: how often it looks at DOUT, and the reading thread's CPU, per sample
of one HX711 at 10 and 80 SPS, on gpiozero's MockFactory with the tests' pin-level emulated chip
(tests/hx711_emulator.py) converting in real time.

Mock pins are Python, slower than a Pi's lgpio pins, so the CPU figure over-states the bit-bang;
the looks are what the driver decides, the same on a Pi. Each look after a sleep is a wake-up of
the thread, and a wake-up is what costs most on a Pi Zero 2 W.

Run: .venv/bin/python benchmarks/bench_gpio.py [--seconds 5]
"""

import argparse
import itertools
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pfsense.sensors.gpio import GpioSensor  # noqa: E402
from pfsense.sensors.layout import make_layout  # noqa: E402
from tests.gpio_pins import MAX_HIGH_NS, wire  # noqa: E402 - the tests' emulated chip

try:
    from benchmarks.common import reference_ms, report
except ImportError:
    from common import reference_ms, report


def measure(rate_hz: int, seconds: float) -> tuple[float, float]:
    """(looks at DOUT, reading-thread CPU in us) per sample."""
    factory, _ = wire([itertools.count(0)], rate_hz=rate_hz)
    sensor = GpioSensor(make_layout("single"), rate_hz, ((5, 6),), factory, MAX_HIGH_NS)
    samples = round(seconds * rate_hz)
    with sensor:
        for _ in range(3):  # into step with the chip's conversions
            sensor.read(2.0)
        looks_before, cpu_before_s = factory.pin(5).looks, time.thread_time()
        for _ in range(samples):
            sensor.read(2.0)
        cpu_s = time.thread_time() - cpu_before_s
    return (factory.pin(5).looks - looks_before) / samples, cpu_s / samples * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    for rate_hz in (10, 80):
        looks, cpu_us = measure(rate_hz, args.seconds)
        report(f"gpio, one HX711 at {rate_hz} SPS: looks at DOUT", looks, "per sample")
        report(f"gpio, one HX711 at {rate_hz} SPS: reading thread", cpu_us, "us CPU per sample",
               f"{cpu_us * rate_hz / 1e4:.2f} % of a core")  # fmt: skip
    report("machine reference: 3 M Python additions", reference_ms(), "ms (median of 5)")


if __name__ == "__main__":
    main()
