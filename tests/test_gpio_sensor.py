"""The gpio sensor on gpiozero's MockFactory, against HX711s emulated at the pin level in real
time (tests/hx711_emulator.py): counts, sign, timing checks, desync, unplugged chips, and the
sensor contract."""

import itertools
import threading
import time

import numpy as np
import pytest

from pfsense.errors import ConfigError, SensorTimeout
from pfsense.sensors.batch import Batch, seq_gaps
from pfsense.sensors.flags import SampleFlag
from pfsense.sensors.gpio import POLLS_PER_PERIOD, GpioSensor, parse_pins
from pfsense.sensors.layout import make_layout

from .gpio_pins import MAX_HIGH_NS, sensor_on, wire


def read_samples(sensor, count, timeout_s=2.0) -> Batch:
    return Batch.concat([sensor.read(timeout_s) for _ in range(count)])


def test_each_cells_signed_reading_arrives():
    factory, _ = wire([itertools.cycle([-5, 3]), itertools.cycle([70000, -70000])])
    with sensor_on(factory) as one:
        batch = read_samples(one, 6)
    clean = batch.flags[:, 0] == 0  # a rare read the machine's load disturbed is flagged, not kept
    assert clean.sum() >= 5
    assert set(batch.counts[clean, 0]) <= {-5, 3}  # negatives too: the sign is right
    assert np.all(seq_gaps(batch.seq) == 0)
    assert np.all(np.diff(batch.t_s) > 0)
    layout = make_layout("plate4")
    pins = ((5, 6), (13, 19), (20, 21), (23, 24))
    factory, _ = wire([itertools.count(100 * (k + 1)) for k in range(4)], pins)
    with sensor_on(factory, layout, pins) as four:
        batch = read_samples(four, 5)
    assert batch.counts.shape == (5, 4)
    assert np.all(np.diff(batch.counts, axis=0) >= 1)  # newer conversions, never older


def test_a_read_with_an_sck_high_phase_over_50_us_is_thrown_away_and_retried():
    factory, (emulator,) = wire([itertools.count(1000)])
    disturbed = {"done": 0}

    def stall_once(em):
        if em.pulses == 12 and not disturbed["done"]:
            disturbed["done"] = 1
            return True
        return False

    factory.pin(6).stall_on_pulse = stall_once
    with sensor_on(factory) as sensor:
        batch = read_samples(sensor, 3)
        assert sensor.discarded_reads >= 1
    assert not batch.flags.any()  # the retry read a whole conversion
    assert emulator.power_downs >= 1  # 2 ms high: the chip really did power down


def test_a_desync_is_flagged():
    factory, (emulator,) = wire([itertools.count(0)])
    emulator.desync = True
    with sensor_on(factory) as sensor:
        batch = read_samples(sensor, 2)
    assert np.all(batch.flags[:, 0] & SampleFlag.DESYNC)


def test_an_unplugged_hx711_times_out_rather_than_hanging():
    factory, (emulator,) = wire([itertools.count(0)])
    emulator.unplugged = True
    with sensor_on(factory) as sensor:
        started = time.monotonic()
        with pytest.raises(SensorTimeout, match="DOUT stays high"):
            sensor.read(0.3)
        assert time.monotonic() - started < 1.0


def test_one_cell_of_four_unplugged_is_flagged_and_the_others_read():
    pins = ((5, 6), (13, 19), (20, 21), (23, 24))
    factory, emulators = wire([itertools.count(10) for _ in range(4)], pins)
    emulators[2].unplugged = True
    with sensor_on(factory, make_layout("plate4"), pins) as sensor:
        batch = read_samples(sensor, 2)
    assert np.all(batch.flags[:, 2] == SampleFlag.TIMEOUT)
    assert not batch.flags[:, [0, 1, 3]].any()


@pytest.mark.parametrize("rate_hz", [10, 80])
def test_dout_is_looked_at_a_few_times_a_sample_not_every_half_millisecond(rate_hz):
    """After a conversion the next is a period away: the driver sleeps through most of it. Looking
    every 0.5 ms throughout was 22 looks a sample at 80 SPS and 181 at 10 SPS, each a wake-up of
    the thread, which on a Pi Zero costs more than the sample's processing. The median sample:
    a read the machine's load disturbs is followed by the chip's settling time, with its own
    looks (the test below)."""
    factory, _ = wire([itertools.count(0)], rate_hz=rate_hz)
    sensor = GpioSensor(make_layout("single"), rate_hz, ((5, 6),), factory, MAX_HIGH_NS)
    samples = 2 * rate_hz // 10 + 8
    looks = []
    with sensor:
        read_samples(sensor, 3)  # in step with the chip's conversions
        batches = []
        for _ in range(samples + 1):
            looks.append(factory.pin(5).looks)
            batches.append(sensor.read(2.0))
    looks_per_sample = np.median(np.diff(looks))
    assert looks_per_sample < 12, np.diff(looks).tolist()
    counts = Batch.concat(batches).counts[:, 0]
    assert np.count_nonzero(np.diff(counts) != 1) <= 1  # and none missed, or one


def test_a_chip_a_fifth_faster_than_its_nominal_rate_loses_no_conversion_to_the_quiet_wait():
    factory, (emulator,) = wire([itertools.count(0)], rate_hz=96)
    with sensor_on(factory) as sensor:  # the driver expects 80 SPS
        batch = read_samples(sensor, 160)
        disturbed = sensor.discarded_reads  # each of those took its conversion with it
    missed = np.diff(batch.counts[:, 0]) - 1
    assert missed.min() >= 0
    # A quiet spell of a whole period loses 35 of 195; a thread the machine's load holds up for a
    # period, now and then, loses one.
    lost = missed.sum() - disturbed
    assert lost <= 0.02 * emulator.conversions, (
        f"{lost} of {emulator.conversions} conversions missed ({disturbed} disturbed)"
    )


def stamped_late_s(batch, emulator):
    """How late each sample was stamped after its conversion came, beyond the least: the values
    are itertools.count(0), so a reading's counts are its conversion's index. Measured against
    when the chip converted, not a grid of periods: a read the machine's load disturbs powers the
    chip down, and its conversions come on a new grid after the settling time."""
    came_s = np.asarray(emulator.converted_at_us)[batch.counts[:, 0]] / 1e6
    late_s = batch.t_s - came_s
    return late_s - late_s.min()


def test_after_a_late_read_the_next_conversion_is_read_when_it_comes():
    """A read that comes late finds DOUT low at once and cannot tell when that conversion came;
    the next wait must look at once rather than sleep a quiet spell timed from the late find."""
    rate_hz, period_s = 10, 0.1
    factory, (emulator,) = wire([itertools.count(0)], rate_hz=rate_hz)
    sensor = GpioSensor(make_layout("single"), rate_hz, ((5, 6),), factory, MAX_HIGH_NS)
    with sensor:
        before = read_samples(sensor, 4)
        time.sleep(1.7 * period_s)  # the acquisition loop held up (a store write, say)
        after = read_samples(sensor, 5)
    late_s = stamped_late_s(Batch.concat([before, after]), emulator)
    assert late_s[4] > 0.5 * period_s  # the late read itself (the conversion waited for it)
    assert np.all(late_s[5:] < 0.2 * period_s), late_s.round(3).tolist()


def test_after_a_read_that_powered_the_chip_down_the_retry_is_stamped_when_it_came():
    """SCK held high past the limit powers the chip down; it converts again after its settling
    time (4 periods). The sample is stamped at the read that is kept (stamping it at the one
    thrown away put it 0.4 s before the force it carries), and the driver sleeps through most of
    the settling time (looking all through it was 101 looks for that sample, not 9)."""
    rate_hz, period_s = 10, 0.1
    factory, (emulator,) = wire([itertools.count(0)], rate_hz=rate_hz)
    stalls = {"left": 1}

    def stall_the_third_conversion(em):
        if em.conversions >= 3 and em.pulses == 12 and stalls["left"]:
            stalls["left"] = 0
            return True
        return False

    factory.pin(6).stall_on_pulse = stall_the_third_conversion
    sensor = GpioSensor(make_layout("single"), rate_hz, ((5, 6),), factory, MAX_HIGH_NS)
    looks = []
    with sensor:
        batches = []
        for _ in range(6):
            batches.append(sensor.read(2.0))
            looks.append(factory.pin(5).looks)
        assert sensor.discarded_reads >= 1
    assert emulator.power_downs >= 1
    batch = Batch.concat(batches)
    late_s = stamped_late_s(batch, emulator)
    assert np.all(late_s < 0.2 * period_s), late_s.round(3).tolist()
    settled = int(np.argmax(np.diff(batch.counts[:, 0]) > 1)) + 1  # the sample read after settling
    assert settled > 0
    looks_for_it = looks[settled] - looks[settled - 1]
    # 45-47 here: the ordinary wait (9), the 12 bits read after the chip went down (DOUT read
    # outside a word, as the counter sees it) and a period of looks after the quiet spell (25);
    # 101 looking all through the settling time.
    assert looks_for_it < 3 * POLLS_PER_PERIOD, looks_for_it


def test_four_chips_out_of_step_are_each_read_without_losing_conversions():
    pins = ((5, 6), (13, 19), (20, 21), (23, 24))
    period_us = 1e5  # 10 SPS
    phases_us = [0.0, 0.3 * period_us, 0.55 * period_us, 0.8 * period_us]
    factory, _ = wire([itertools.count(0) for _ in pins], pins, 10, phases_us)
    sensor = GpioSensor(make_layout("plate4"), 10, pins, factory, MAX_HIGH_NS)
    with sensor:
        read_samples(sensor, 2)
        looks_before = sum(factory.pin(dout).looks for dout, _ in pins)
        batch = read_samples(sensor, 16)
        disturbed = sensor.discarded_reads
    looks = sum(factory.pin(dout).looks for dout, _ in pins) - looks_before
    assert not batch.flags.any()
    assert np.all(np.diff(batch.counts, axis=0) >= 1)  # each chip's newer conversion every time
    # A read the machine's load disturbs (about one run in three here) powers its chip down, and
    # the sample waits out its settling time (4 periods) while the other chips convert unread.
    skips = np.count_nonzero(np.diff(batch.counts, axis=0) != 1)
    assert skips <= 2 + len(pins) * disturbed, (skips, disturbed)
    assert looks / (16 * len(pins)) < 12


def test_a_close_while_waiting_for_a_later_chip_ends_the_read_without_timeout_flags():
    """Closing between one chip's reading and the next chip's is the end of reading, not a dead
    chip: the read says the sensor closed, it does not return a sample flagged TIMEOUT."""
    pins = ((5, 6), (13, 19), (20, 21), (23, 24))
    # 10 SPS: chip 0 converts at 0, 100, 200 ms...; the others 60 ms after it.
    factory, _ = wire([itertools.count(0) for _ in pins], pins, 10, [0.0] + [60_000.0] * 3)
    sensor = GpioSensor(make_layout("plate4"), 10, pins, factory, MAX_HIGH_NS)
    sensor.start()
    read_samples(sensor, 2)
    outcome = []

    def reader():
        try:
            outcome.append(sensor.read(3.0))
        except Exception as error:
            outcome.append(type(error).__name__)

    thread = threading.Thread(target=reader)
    thread.start()
    time.sleep(0.07)  # from 160 ms: chip 0 is read at 200 ms, and chip 1 awaited until 260
    sensor.close()
    thread.join(5)
    assert outcome == ["SensorClosed"]


def test_close_wakes_a_reader_sleeping_between_conversions():
    """At 1 SPS the wait after a conversion sleeps 0.75 s without looking at DOUT; a close must
    cut it short, not wait it out."""
    factory, _ = wire([itertools.count(0)], rate_hz=1)
    sensor = GpioSensor(make_layout("single"), 1, ((5, 6),), factory, MAX_HIGH_NS)
    sensor.start()
    sensor.read(3.0)  # the conversion waiting at the start: DOUT low at the first look
    sensor.read(3.0)  # DOUT seen high until the next: the wait after it is a quiet spell
    outcome = []

    def reader():
        try:
            sensor.read(3.0)
        except Exception as error:
            outcome.append((type(error).__name__, time.monotonic()))

    thread = threading.Thread(target=reader)
    thread.start()
    time.sleep(0.05)
    closed_at = time.monotonic()
    sensor.close()
    thread.join(5)
    assert [name for name, _ in outcome] == ["SensorClosed"]
    assert outcome[0][1] - closed_at < 0.5  # the quiet spell had 0.7 s left


def test_close_from_another_thread_wakes_a_blocked_reader():
    factory, (emulator,) = wire([itertools.count(0)])
    emulator.unplugged = True
    sensor = sensor_on(factory)
    sensor.start()
    outcome = []

    def reader():
        try:
            sensor.read(30.0)
        except Exception as error:
            outcome.append(type(error).__name__)

    thread = threading.Thread(target=reader)
    thread.start()
    time.sleep(0.1)
    sensor.close()
    thread.join(5)
    assert outcome == ["SensorClosed"]


@pytest.mark.parametrize(
    ("text", "channels", "message"),
    [("5-6", 1, "expected DOUT:SCK"), ("5:6", 4, "gives 1 cells, the layout has 4"),
     ("5:99", 1, "0 to 27")],
)  # fmt: skip
def test_bad_pins_are_refused_clearly(text, channels, message):
    with pytest.raises(ConfigError, match=message):
        parse_pins(text, channels)


def test_with_no_page_open_the_live_loop_still_reads_every_conversion():
    """The loop reads ten times a second when nobody watches, but not a sensor that converts
    only while it is read: a calibration step from the therapist's page (no stream open) gets
    its two seconds of samples."""
    from pfsense.live.service import LiveService

    factory, _ = wire([itertools.count(1000)])
    live = LiveService(sensor_on(factory))
    live.start()
    try:
        batch = live.capture(1.0)
    finally:
        live.stop()
    assert len(batch) == 80
    assert live.hub.client_count == 0
