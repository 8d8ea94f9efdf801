"""The Pico firmware (firmware/pico) under CPython, with the real adafruit_hx711 library clocking
emulated HX711s at the pin level."""

import binascii
import itertools

import pytest

from .firmware import channels, circuitpython
from .hx711_emulator import EmulatedHX711


class Port:
    """usb_cdc.data: what the firmware writes, and commands waiting for it."""

    def __init__(self):
        self.written = b""
        self.incoming = b""

    @property
    def in_waiting(self):
        return len(self.incoming)

    def read(self, n):
        data, self.incoming = self.incoming[:n], self.incoming[n:]
        return data

    def write(self, data):
        self.written += data

    def lines(self):
        return self.written.decode().splitlines()


def firmware(cp, emulators, rate_hz=80):
    clock = cp.microcontroller.clock
    port = Port()
    fw = cp.main.Firmware(
        port,
        channels(cp, emulators),
        lambda: int(clock.now_us),
        cp.microcontroller.delay_us,
        rate_hz,
    )
    return fw, port


def ramp(start, step=1):
    return itertools.count(start, step)


def test_frames_carry_every_channels_signed_reading_at_80_sps():
    with circuitpython() as cp:
        clock = cp.microcontroller.clock
        values = [[-5, 8388607, -8388608, 0], [123456, -1, 7, -42]]
        emulators = [
            EmulatedHX711(clock, itertools.cycle([a, b])) for a, b in zip(*values, strict=True)
        ]
        fw, port = firmware(cp, emulators)
        port.incoming = b"start\n"
        for _ in range(6):
            fw.step()
        frames = port.lines()
    assert len(frames) == 6
    seqs, times, counts, flags = [], [], [], []
    for line in frames:
        body, crc = line[1:].split("*")
        assert int(crc, 16) == binascii.crc_hqx(body.encode(), 0xFFFF)
        fields = body.split(",")
        seqs.append(int(fields[0]))
        times.append(int(fields[1]))
        counts.append([int(v) for v in fields[2:6]])
        flags.append(fields[6])
    assert seqs == list(range(6))
    assert counts[0] == values[0]  # negatives too: the sign is fixed
    assert counts[1] == values[1]
    # One frame per conversion: 12.5 ms apart on the Pico's clock.
    assert all(abs((b - a) - 12500) <= 100 for a, b in itertools.pairwise(times))
    assert flags[0] == "0110"  # the two full-scale codes are flagged saturated
    assert flags[1] == "0000"


def test_an_unplugged_hx711_is_flagged_timeout_and_never_hangs():
    with circuitpython() as cp:
        clock = cp.microcontroller.clock
        emulators = [EmulatedHX711(clock, ramp(100)) for _ in range(2)]
        emulators[1].unplugged = True
        fw, port = firmware(cp, emulators)
        port.incoming = b"channels 2\nstart\n"
        for _ in range(3):
            fw.step()
        lines = [line for line in port.lines() if line.startswith("$")]
    assert len(lines) == 3
    assert all(line.split("*")[0].endswith(",04") for line in lines)  # channel 1: timeout
    # The first frame waits for the dead channel; later ones do not: no conversion is missed.
    assert [int(line.split(",")[2]) for line in lines] == [100, 103, 104]


def test_a_desync_is_flagged():
    with circuitpython() as cp:
        clock = cp.microcontroller.clock
        emulator = EmulatedHX711(clock, ramp(5))
        emulator.desync = True
        fw, port = firmware(cp, [emulator])
        port.incoming = b"channels 1\nstart\n"
        fw.step()
        fw.step()
        line = next(line for line in port.lines() if line.startswith("$"))
    assert line.split("*")[0].endswith(",2")


def test_sck_high_for_over_60_us_powers_the_chip_down():
    with circuitpython() as cp:
        clock = cp.microcontroller.clock
        emulator = EmulatedHX711(clock, ramp(0))
        (channel,) = channels(cp, [emulator])
        clock.advance(20_000)
        assert channel.ready()
        channel.clock.value = True
        cp.microcontroller.delay_us(61)
        assert not channel.ready()  # powered down: DOUT high
        channel.clock.value = False
        assert emulator.power_downs == 1
        clock.advance(60_000)  # wakes, settles, converts again
        assert channel.ready()


def test_the_library_clocks_with_interrupts_off_and_reads_every_conversion():
    with circuitpython() as cp:
        clock = cp.microcontroller.clock
        emulator = EmulatedHX711(clock, ramp(1000))
        fw, port = firmware(cp, [emulator])
        port.incoming = b"channels 1\nstart\n"
        for _ in range(80):
            fw.step()
        assert cp.microcontroller.interrupts_enabled
        counts = [int(line.split(",")[2]) for line in port.lines() if line.startswith("$")]
    # Every conversion read, none thrown away (the library's read() would skip every other).
    assert counts == list(range(1000, 1080))
    assert emulator.conversions == 80


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        (b"hello\n", "# pfsense-pico v1 channels=4 rate=80"),
        (b"rate 10\n", "# pfsense-pico v1 channels=4 rate=10"),
        (b"channels 2\n", "# pfsense-pico v1 channels=2 rate=80"),
        (b"rate 50\n", "# error bad value b'rate 50'"),
        (b"channels 9\n", "# error bad value b'channels 9'"),
        (b"reboot\n", "# error unknown command b'reboot'"),
    ],
)
def test_commands_are_answered(command, answer):
    with circuitpython() as cp:
        clock = cp.microcontroller.clock
        fw, port = firmware(cp, [EmulatedHX711(clock, ramp(0)) for _ in range(4)])
        port.incoming = command
        fw.step()
        assert port.lines() == [answer]
        assert not fw.running


def test_the_crc_is_crc16_ccitt_false_as_the_pi_computes_it():
    with circuitpython() as cp:
        for data in (b"123456789", b"", b"7,1000,-5,12,04"):
            assert cp.link.crc16(data) == binascii.crc_hqx(data, 0xFFFF)
