"""acquired_at follows the wall clock as it reads when samples come, not an offset taken at start.

A Raspberry Pi has no real-time clock: it boots at the time it last shut down and NTP steps the
clock, often by hours, a minute later, while `pfsense serve` (started at boot) is already running.
A session recorded after that must carry the right times. The wall clock is the edge faked here:
each driver module's `time` is replaced by one whose time() jumps an hour forward mid-read.
"""

import itertools
import time
import types

import numpy as np
import pytest

from pfsense.sensors import SensorOptions, gpio, open_sensor, pacing, serial_port

from .fake_pico import FakePico
from .firmware import circuitpython
from .gpio_pins import sensor_on, wire

STEP_S = 3600.0


class SteppingClock(types.SimpleNamespace):
    """The time module, with a wall clock that NTP has just stepped by STEP_S (once stepped)."""

    def __init__(self) -> None:
        super().__init__(**{name: getattr(time, name) for name in dir(time) if name[0] != "_"})
        self.step_s = 0.0
        self.time = lambda: time.time() + self.step_s


def read_for(sensor, seconds: float):
    batches, until = [], time.monotonic() + seconds
    while time.monotonic() < until:
        batches.append(sensor.read(timeout_s=2.0))
    return batches


def stepped_mid_read(sensor, clock: SteppingClock) -> tuple[float, float]:
    """Reads 0.3 s, steps the clock, reads 0.3 s: the last acquired_at before and after, each
    minus the (stepped) wall clock when it was read."""
    with sensor:
        before = read_for(sensor, 0.3)[-1].acquired_at[-1] - clock.time()
        clock.step_s = STEP_S
        read_for(sensor, 0.1)  # samples read before the step may still be handed out
        after = read_for(sensor, 0.3)[-1].acquired_at[-1] - clock.time()
    return before, after


@pytest.fixture
def clock(monkeypatch):
    clock = SteppingClock()
    for module in (pacing, gpio, serial_port):
        monkeypatch.setattr(module, "time", clock)
    return clock


def test_the_simulator_stamps_samples_by_the_wall_clock_after_it_steps(clock):
    sensor = open_sensor("sim", SensorOptions(layout="plate4"))
    before, after = stepped_mid_read(sensor, clock)
    assert abs(before) < 0.1
    assert abs(after) < 0.1, f"acquired_at is {after:.1f} s off the wall clock after an NTP step"


def test_pins_stamp_samples_by_the_wall_clock_after_it_steps(clock):
    factory, _ = wire([itertools.count(1000)])
    before, after = stepped_mid_read(sensor_on(factory), clock)
    assert abs(before) < 0.1
    assert abs(after) < 0.1, f"acquired_at is {after:.1f} s off the wall clock after an NTP step"


def test_the_pico_link_stamps_samples_by_the_wall_clock_after_it_steps(clock, tmp_path):
    with circuitpython() as cp:
        pico = FakePico(cp, tmp_path / "pico-data").plug_in()
        sensor = open_sensor(f"serial:{pico.link_path}", SensorOptions(layout="plate4"))
        before, after = stepped_mid_read(sensor, clock)
        pico.unplug()
    assert abs(before) < 0.1
    assert abs(after) < 0.1, f"acquired_at is {after:.1f} s off the wall clock after an NTP step"


def test_samples_within_a_read_keep_their_spacing(clock):
    with open_sensor("sim", SensorOptions(layout="plate4")) as sensor:
        time.sleep(0.2)  # several samples due at once: one read, one batch
        batch = sensor.read(timeout_s=2.0)
    assert len(batch) > 5
    np.testing.assert_allclose(np.diff(batch.acquired_at), np.diff(batch.t_s), atol=1e-6)
