"""HX711s on gpiozero's MockFactory: an emulated chip (tests/hx711_emulator.py) behind each
DOUT/SCK pair, converting in real time, for the gpio sensor's tests and benchmarks/bench_gpio.py."""

import time

from gpiozero.pins.mock import MockFactory, MockPin

from pfsense.sensors.gpio import GpioSensor
from pfsense.sensors.layout import make_layout

from .hx711_emulator import EmulatedHX711

# gpiozero's mock pins take 25-75 us of Python a SCK-high phase on this machine, more than a Pi's
# lgpio pins; the tests run the same checks on a clock ten times slower: the driver trusts 500 us,
# the emulated chip powers down after 600 us.
SLOWER = 10
MAX_HIGH_NS = 50_000 * SLOWER
POWER_DOWN_US = 60.0 * SLOWER


class RealClock:
    """Microseconds of real time, for an emulator driven by the bit-bang as it happens."""

    def __init__(self):
        self._start = time.perf_counter()

    @property
    def now_us(self):
        return (time.perf_counter() - self._start) * 1e6


class DoutPin(MockPin):
    emulator = None
    looks = 0  # reads of DOUT outside a word's bits: asking "ready?" (and the in-step check)

    def _get_state(self):
        if not self.emulator:
            return super()._get_state()
        self.looks += not self.emulator.pulses
        return self.emulator.dout()


class SckPin(MockPin):
    emulator = None
    stall_on_pulse = None  # a test's hook: sleep in this SCK-high phase, as a preempted thread

    def _change_state(self, value):
        changed = super()._change_state(value)
        if self.emulator:
            self.emulator.sck(value)
            if value and self.stall_on_pulse and self.stall_on_pulse(self.emulator):
                time.sleep(0.002)  # 2 ms: well past both limits
        return changed


def wire(values_per_cell, pins=((5, 6), (13, 19)), rate_hz=80, first_ready_us=None):
    """A MockFactory with an emulated HX711 on each (DOUT, SCK) pair; `first_ready_us`, one per
    chip, sets when each converts first (chips are not in step with each other)."""
    factory = MockFactory()
    clock = RealClock()
    emulators = []
    firsts = first_ready_us or [0.0] * len(pins)
    for (dout, sck), values, first in zip(pins, values_per_cell, firsts, strict=False):
        emulator = EmulatedHX711(
            clock, values, rate_hz, first_ready_us=first, power_down_us=POWER_DOWN_US
        )
        factory.pin(dout, pin_class=DoutPin).emulator = emulator
        factory.pin(sck, pin_class=SckPin).emulator = emulator
        emulators.append(emulator)
    return factory, emulators


def sensor_on(factory, layout=None, pins=((5, 6),)):
    layout = layout or make_layout("single")
    return GpioSensor(layout, 80, pins, factory, max_high_ns=MAX_HIGH_NS)
