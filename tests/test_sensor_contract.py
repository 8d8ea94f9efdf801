"""The contract every sensor driver keeps, run against each one: sim, replay, serial (the real
Pico firmware on a pseudo-terminal, tests/fake_pico.py) and gpio (gpiozero's MockFactory with
emulated HX711s, tests/test_gpio_sensor.py)."""

import itertools
import os
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from pfsense.errors import SensorClosed, SensorError
from pfsense.sensors import SensorOptions, open_sensor
from pfsense.sensors.adc import COUNTS_MAX, COUNTS_MIN
from pfsense.sensors.batch import Batch, seq_gaps
from pfsense.sensors.flags import ALL_FLAGS, SampleFlag
from pfsense.sensors.layout import make_layout
from pfsense.sensors.recording import RecordingWriter

from .conftest import fast_sim
from .fake_pico import FakePico
from .firmware import circuitpython


def _recorded(tmp_path: Path, layout: str, seconds: float = 20.0) -> Path:
    path = tmp_path / f"{layout}.csv"
    with (
        fast_sim(layout) as sensor,
        RecordingWriter(
            path, sensor.layout, sensor.rate_hz, sensor.nominal_calibration, "sim"
        ) as out,
    ):
        while (batch := sensor.read()) is not None and batch.t_s[-1] < seconds:
            out.write(batch)
    return path


def _plain(tmp_path: Path) -> Path:
    path = tmp_path / "plain.csv"
    t = np.arange(800) / 80.0
    rows = "\n".join(f"{a:.4f},{b:.3f}" for a, b in zip(t, 100 + 50 * np.sin(t), strict=True))
    path.write_text("t,force\n" + rows + "\n")
    return path


DRIVERS = {
    "sim-single-fast": lambda tmp: open_sensor(
        "sim", SensorOptions(layout="single", realtime=False)
    ),
    "sim-plate4-fast": lambda tmp: open_sensor(
        "sim", SensorOptions(layout="plate4", realtime=False)
    ),
    "sim-plate4-10sps": lambda tmp: open_sensor(
        "sim", SensorOptions(layout="plate4", rate_hz=10, realtime=False)
    ),
    "sim-realtime": lambda tmp: open_sensor("sim", SensorOptions(layout="plate4")),
    "replay-fast": lambda tmp: open_sensor(
        f"replay:{_recorded(tmp, 'plate4')}", SensorOptions(realtime=False)
    ),
    "replay-realtime": lambda tmp: open_sensor(f"replay:{_recorded(tmp, 'single')}"),
    "replay-plain": lambda tmp: open_sensor(f"replay:{_plain(tmp)}", SensorOptions(realtime=False)),
}


def _gpio_on_mock_pins():
    from .gpio_pins import sensor_on, wire

    pins = ((5, 6), (13, 19), (20, 21), (23, 24))
    factory, _ = wire([itertools.count(1000 * (k + 1)) for k in range(4)], pins)
    return sensor_on(factory, make_layout("plate4"), pins)


# Hardware in the loop: the same contract on a real Pico or real pins when these name them, e.g.
# PFSENSE_HIL_SERIAL=/dev/ttyACM1 PFSENSE_HIL_LAYOUT=plate4 or PFSENSE_HIL_GPIO=5:6.
HARDWARE = {
    "serial-hardware": ("PFSENSE_HIL_SERIAL", lambda value: f"serial:{value}"),
    "gpio-hardware": ("PFSENSE_HIL_GPIO", lambda value: "gpio"),
}


def _on_hardware(param: str):
    variable, name = HARDWARE[param]
    value = os.environ.get(variable)
    if not value:
        pytest.skip(f"no hardware: set {variable} to run the contract on a real sensor")
    layout = os.environ.get("PFSENSE_HIL_LAYOUT", "single")
    extra = {"gpio_pins": value} if param == "gpio-hardware" else {}
    rate = int(os.environ.get("PFSENSE_HIL_RATE", "80" if param == "serial-hardware" else "10"))
    return open_sensor(name(value), SensorOptions(layout=layout, rate_hz=rate, **extra))


@pytest.fixture(params=[*sorted(DRIVERS), "serial-pico", "gpio-mock", *HARDWARE])
def sensor(request, tmp_path):
    if request.param in HARDWARE:
        sensor = _on_hardware(request.param)
        yield sensor
        sensor.close()
        return
    if request.param == "gpio-mock":
        sensor = _gpio_on_mock_pins()
        yield sensor
        sensor.close()
        return
    if request.param == "serial-pico":
        with circuitpython() as cp:
            pico = FakePico(cp, tmp_path / "pico-data").plug_in()
            sensor = open_sensor(f"serial:{pico.link_path}", SensorOptions(layout="plate4"))
            yield sensor
            sensor.close()
            pico.unplug()
        return
    sensor = DRIVERS[request.param](tmp_path)
    yield sensor
    sensor.close()


def _read_some(sensor, minimum: int = 20) -> Batch:
    batches = []
    while sum(len(b) for b in batches) < minimum:
        batch = sensor.read(timeout_s=2.0)
        assert batch is not None, "the source ended before giving enough samples"
        batches.append(batch)
    return Batch.concat(batches)


def test_batches_have_the_documented_shapes_and_types(sensor):
    with sensor:
        batch = _read_some(sensor)
    channels = len(sensor.channels)
    assert batch.t_s.dtype == np.float64
    assert batch.t_s.shape == (len(batch),)
    assert batch.acquired_at.dtype == np.float64
    assert batch.acquired_at.shape == (len(batch),)
    assert batch.seq.dtype == np.uint16
    assert batch.counts.dtype == np.int32
    assert batch.counts.shape == (len(batch), channels)
    assert batch.flags.dtype == np.uint8
    assert batch.flags.shape == (len(batch), channels)


def test_times_increase_and_acquired_at_is_unix_time(sensor):
    with sensor:
        batch = _read_some(sensor, 40)
    assert np.all(np.diff(batch.t_s) > 0)
    assert np.all(np.diff(batch.acquired_at) > 0)
    # Unix seconds of this century, spaced as t_s is, but read from the wall clock as samples
    # come (tests/test_wall_clock.py): that clock steps (0.5 ms every 100 ms on this machine).
    assert np.all(batch.acquired_at > 1.6e9)
    np.testing.assert_allclose(np.diff(batch.acquired_at), np.diff(batch.t_s), atol=2e-3)


def test_counts_are_signed_24_bit_and_flags_known_bits(sensor):
    with sensor:
        batch = _read_some(sensor, 40)
    assert batch.counts.min() >= COUNTS_MIN
    assert batch.counts.max() <= COUNTS_MAX
    assert not np.any(batch.flags & ~np.uint8(ALL_FLAGS))


def test_seq_counts_up_by_one_without_loss(sensor):
    with sensor:
        batch = _read_some(sensor, 40)
    assert np.all(seq_gaps(batch.seq) == 0)
    assert not np.any(batch.flags & SampleFlag.DROPPED)


def test_nominal_calibration_has_one_entry_per_channel(sensor):
    calibration = sensor.nominal_calibration
    assert len(calibration.offset_counts) == len(sensor.channels) == len(calibration.counts_per_n)


def test_read_before_start_and_after_close_raise_clear_errors(sensor):
    with pytest.raises(SensorError, match="stopped: call start"):
        sensor.read()
    sensor.close()
    sensor.close()  # idempotent
    assert sensor.is_closed
    with pytest.raises(SensorClosed, match="closed"):
        sensor.read()
    with pytest.raises(SensorClosed):
        sensor.start()


def test_stop_and_start_resume_where_the_stream_left_off(sensor):
    sensor.start()
    first = _read_some(sensor)
    sensor.stop()
    assert not sensor.is_running
    sensor.start()
    second = _read_some(sensor)
    sensor.close()
    assert second.t_s[0] > first.t_s[-1]
    assert np.all(seq_gaps(np.concatenate([first.seq, second.seq])) == 0)


def test_close_from_another_thread_wakes_a_blocked_reader(sensor):
    sensor.start()
    _read_some(sensor, 1)
    outcome = []

    def reader():
        try:
            while sensor.read(timeout_s=30.0) is not None:
                pass
            outcome.append("ended")
        except SensorClosed:
            outcome.append("closed")

    thread = threading.Thread(target=reader)
    thread.start()
    time.sleep(0.05)
    sensor.close()
    thread.join(timeout=5.0)
    assert not thread.is_alive(), "read() kept blocking after close()"
    assert outcome


def test_iteration_ends_with_the_source(tmp_path):
    with open_sensor(f"replay:{_plain(tmp_path)}", SensorOptions(realtime=False)) as sensor:
        total = sum(len(batch) for batch in sensor)
    assert total == 800


def test_realtime_never_delivers_a_sample_before_it_was_acquired():
    with open_sensor("sim", SensorOptions(layout="single")) as sensor:
        started = time.time()
        for _ in range(10):
            batch = sensor.read()
            assert batch.acquired_at[-1] <= time.time() + 1e-3
        # 10 reads of at least one sample each at 80 samples/s cannot take less than ~9/80 s.
        assert time.time() - started >= 9 / 80 - 0.005


def test_unknown_sensor_names_say_what_is_expected():
    from pfsense.errors import UnknownSensor

    with pytest.raises(
        UnknownSensor, match="expected 'sim', 'replay:PATH', 'serial:PORT' or 'gpio'"
    ):
        open_sensor("bogus")


def test_a_paused_simulator_resumes_in_real_time_from_its_next_sample():
    """The simulator makes its rows ahead of time: after a pause they are still handed out one
    by one as they come due, stamped as acquired after the pause, not all at once."""
    sensor = open_sensor("sim", SensorOptions(layout="plate4"))
    sensor.start()
    first = _read_some(sensor, 5)
    sensor.stop()
    time.sleep(0.3)
    resumed_at = time.time()
    sensor.start()
    second = Batch.concat([sensor.read() for _ in range(8)])
    sensor.close()
    assert second.t_s[0] > first.t_s[-1]
    assert np.all(second.acquired_at >= resumed_at - 0.02), "stamped before the pause"
    # Eight reads in real time span about seven sample periods, not a burst of old rows.
    assert second.acquired_at[-1] - second.acquired_at[0] >= 0.05
