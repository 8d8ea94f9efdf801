"""The serial:PORT driver against the real firmware on a pseudo-terminal (tests/fake_pico.py):
every sample, corrupted and truncated lines, duplicates and late frames, unplug and replug."""

import time

import numpy as np
import pytest

from pfsense.errors import SensorTimeout
from pfsense.sensors import SensorOptions, open_sensor
from pfsense.sensors.batch import Batch, seq_gaps
from pfsense.sensors.flags import SampleFlag
from pfsense.sensors.layout import make_layout
from pfsense.sensors.serial_port import SerialSensor, find_pico_port

from .fake_pico import FakePico
from .firmware import circuitpython


@pytest.fixture
def pico(tmp_path):
    with circuitpython() as cp:
        fake = FakePico(cp, tmp_path / "pico-data").plug_in()
        yield fake
        if fake.link_path.is_symlink():
            fake.unplug()


def read_samples(sensor, count, timeout_s=2.0) -> Batch:
    batches, total = [], 0
    while total < count:
        batch = sensor.read(timeout_s)
        batches.append(batch)
        total += len(batch)
    return Batch.concat(batches)


def test_every_frame_arrives_with_its_counts_in_order(pico):
    with open_sensor(f"serial:{pico.link_path}", SensorOptions(layout="plate4")) as sensor:
        batch = read_samples(sensor, 160)
    counts = batch.counts
    # Each emulated cell counts up from 1000 * (cell + 1), one per conversion.
    np.testing.assert_array_equal(np.diff(counts, axis=0), 1)
    assert set(counts[0] // 1000) <= {1, 2, 3, 4}
    assert np.all(seq_gaps(batch.seq) == 0)
    assert not batch.flags.any()
    # The Pico's clock: 12.5 ms apart, give or take its 50 us polling (the first frame reads a
    # conversion that was waiting since before the start).
    np.testing.assert_allclose(np.diff(batch.t_s)[1:], 1 / 80, atol=2e-4)
    # acquired_at follows the wall clock, which steps (tests/test_wall_clock.py).
    np.testing.assert_allclose(np.diff(batch.acquired_at), np.diff(batch.t_s), atol=2e-3)
    assert abs(batch.acquired_at[-1] - time.time()) < 0.5
    assert sensor.describe()["pico"].startswith("pfsense-pico v1 channels=4 rate=80")


def every(n, change):
    """A mangle hook changing every n-th line the Pico writes."""
    seen = {"lines": 0}

    def mangle(data):
        if not data.startswith(b"$"):
            return data
        seen["lines"] += 1
        return change(data) if seen["lines"] % n == 0 else data

    return mangle


@pytest.mark.parametrize(
    ("change", "dropped"),
    [
        (lambda line: line[:5] + bytes([line[5] ^ 0x10]) + line[6:], True),  # a flipped bit
        (lambda line: line[: len(line) // 2], True),  # truncated, newline lost with it
        (lambda line: line + line, False),  # sent twice
        (lambda line: b"\x00\xff garbage \xfe" + line, True),  # noise before a frame
    ],
)
def test_bad_lines_are_counted_and_skipped_and_losses_flagged(pico, change, dropped):
    pico.port.mangle = every(10, change)
    with open_sensor(f"serial:{pico.link_path}", SensorOptions(layout="plate4")) as sensor:
        batch = read_samples(sensor, 120)
        described = sensor.describe()
    lost = seq_gaps(batch.seq)
    if dropped:
        assert described["corrupted_lines"] >= 8
        assert lost.sum() >= 8
        assert np.all(batch.flags[lost > 0] == SampleFlag.DROPPED)
    else:
        assert described["duplicates"] >= 8
        assert lost.sum() == 0
    # What did arrive is exactly what the Pico sent: counts step by the frames in between.
    steps = np.diff(batch.counts[:, 0])
    np.testing.assert_array_equal(steps, 1 + lost[1:])


def test_late_frames_are_dropped_and_counted(pico):
    held = {}

    def swap(data):  # hold one frame back and send it after the next
        if not data.startswith(b"$"):
            return data
        seq = int(data[1:].split(b",")[0])
        if seq % 10 == 5:
            held["line"] = data
            return b""
        if "line" in held:
            return data + held.pop("line")
        return data

    pico.port.mangle = swap
    with open_sensor(f"serial:{pico.link_path}", SensorOptions(layout="plate4")) as sensor:
        batch = read_samples(sensor, 100)
        assert sensor.describe()["late"] >= 7
    assert seq_gaps(batch.seq).sum() >= 7


def test_the_pico_can_be_unplugged_and_plugged_in_again(pico):
    with open_sensor(f"serial:{pico.link_path}", SensorOptions(layout="plate4")) as sensor:
        before = read_samples(sensor, 40)
        pico.unplug()
        with pytest.raises(SensorTimeout, match=r"not connected|silent"):
            drain(sensor)
        pico.plug_in()
        after = read_samples(sensor, 40, timeout_s=3.0)
        assert sensor.describe()["reconnects"] == 1
    assert after.t_s[0] > before.t_s[-1]
    # The Pico booted afresh: the break is flagged and counted, not hidden.
    assert after.flags[0, 0] & SampleFlag.DROPPED
    assert seq_gaps(np.concatenate([before.seq, after.seq])).sum() >= 1


def test_a_pico_that_resets_mid_stream_is_started_again_and_the_break_counted(pico):
    with open_sensor(f"serial:{pico.link_path}", SensorOptions(layout="plate4")) as sensor:
        before = read_samples(sensor, 40)
        pico.soft_reset()
        with pytest.raises(SensorTimeout, match="connected but silent"):
            drain(sensor)
        after = read_samples(sensor, 40)
    assert after.t_s[0] > before.t_s[-1]
    assert after.flags[0, 0] & SampleFlag.DROPPED
    assert seq_gaps(np.concatenate([before.seq, after.seq])).sum() >= 1
    np.testing.assert_allclose(np.diff(after.t_s)[1:], 1 / 80, atol=2e-4)


def drain(sensor):
    """Read what is left until a read times out."""
    while True:
        sensor.read(0.5)


def test_a_port_that_never_appears_times_out_with_a_clear_message(tmp_path):
    sensor = SerialSensor(str(tmp_path / "nothing"), make_layout("single"))
    with sensor, pytest.raises(SensorTimeout, match="the Pico is not connected"):
        sensor.read(0.3)


class Port:
    def __init__(self, device, vid, interface=None):
        self.device, self.vid, self.interface = device, vid, interface


def test_the_picos_data_port_is_found_among_others():
    ports = [
        Port("/dev/ttyUSB0", 0x0403),
        Port("/dev/ttyACM0", 0x239A, "CircuitPython CDC control"),
        Port("/dev/ttyACM1", 0x239A, "CircuitPython CDC2 data"),
    ]
    assert find_pico_port(ports) == "/dev/ttyACM1"
    assert find_pico_port(ports[:1]) is None
    assert find_pico_port([Port("/dev/ttyACM3", 0x2E8A), Port("/dev/ttyACM2", 0x2E8A)]) == (
        "/dev/ttyACM3"
    )
