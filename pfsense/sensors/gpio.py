"""The `gpio` sensor: HX711s wired straight to the Pi's GPIO, bit-banged through gpiozero's pins
(lgpio on Raspberry Pi OS Bookworm; MockFactory in the tests).

Linux can preempt a bit-bang at any moment, and SCK held high for over 60 us powers the HX711
down, which turns the rest of the word into all-ones or shifted bits (the "random spikes" of the
simple libraries). So every SCK-high phase is timed and a read with one over 50 us is thrown away;
after the gain pulse DOUT must be high (else the bits were out of step: desync); an all-ones
word is thrown away; a thrown-away read is tried again on the next conversion, up to RETRIES;
DOUT that stays high (an unplugged or unpowered HX711) times out instead of hanging.

Honestly: this is fine for one cell at 10 SPS and best effort above; for 80 SPS and four cells
use the Pico (serial:auto), whose microcontroller does the timing-critical part.
"""

import threading
import time

import numpy as np

from pfsense.calibration.model import uncalibrated
from pfsense.errors import ConfigError, SensorClosed, SensorTimeout
from pfsense.sensors.adc import COUNTS_DTYPE, COUNTS_MAX, COUNTS_MIN, sign_extend_24
from pfsense.sensors.base import Sensor
from pfsense.sensors.batch import SEQ_MODULO, Batch
from pfsense.sensors.flags import FLAGS_DTYPE, SampleFlag
from pfsense.sensors.layout import Layout

MAX_HIGH_NS = 50_000  # under the 60 us that powers the chip down
POWER_DOWN_RATIO = 60 / 50  # the chip powers down at 60 us high, which we trust to 50
RETRIES = 3
SETTLING_PERIODS = 4  # after a power-down: 400 ms at 10 SPS, 50 ms at 80 SPS (datasheet)
# Waiting for DOUT: a conversion comes once a period, and the last came after DOUT was last seen
# high, so the next cannot be due for most of a period after that moment. The driver sleeps
# through QUIET_PERIODS of it without looking (a chip up to a third faster than nominal is still
# looked for in time), then looks POLLS_PER_PERIOD times a period: every 0.5 ms at 80 SPS, 4 ms at
# 10 SPS, so a reading is stamped at most that late, the same share of a period at both rates.
# Where DOUT was already low at the first look (a read came late), the conversion may have waited
# for any time, so the next wait looks at once. Looking every 0.5 ms throughout woke the thread
# 22 times a sample at 80 SPS and 181 at 10 SPS (benchmarks/bench_gpio.py); this is 8-9 at
# either, and on a Pi Zero a wake-up costs more than the sample's processing. A read that held
# SCK high long enough to power the chip down is followed by the settling time: the driver sleeps
# through QUIET_PERIODS of that too (looking all through it was 100 wake-ups each time).
QUIET_PERIODS = 0.75
POLLS_PER_PERIOD = 25
DEFAULT_PINS = ((5, 6), (13, 19), (20, 21), (23, 24))  # (DOUT, SCK) per cell, BCM numbering


class HX711Pins:
    """One HX711 on a DOUT and an SCK pin."""

    def __init__(self, factory, dout: int, sck: int, max_high_ns: int = MAX_HIGH_NS) -> None:
        self.max_high_ns = max_high_ns
        self.dout = factory.pin(dout)
        self.dout.function = "input"
        self.dout.pull = "up"  # an absent chip then reads "not ready": a timeout, not garbage
        self.sck = factory.pin(sck)
        self.sck.function = "output"
        self.sck.state = 0
        self.discarded = 0
        self.powered_down = False  # the last read held SCK high past the power-down limit

    def ready(self) -> bool:
        return not self.dout.state

    def read_word(self) -> int | None:
        """24 bits and the gain-128 pulse, or None if any SCK-high phase ran over 50 us or the
        word is all ones (both: the chip was disturbed mid-read)."""
        dout, sck, clock = self.dout, self.sck, time.perf_counter_ns
        value, slowest_ns = 0, 0
        for _ in range(24):
            started = clock()
            sck.state = 1
            bit = dout.state
            sck.state = 0
            slowest_ns = max(slowest_ns, clock() - started)
            value = (value << 1) | bit
        started = clock()
        sck.state = 1  # the 25th pulse: channel A, gain 128, for the next conversion
        sck.state = 0
        slowest_ns = max(slowest_ns, clock() - started)
        self.powered_down = slowest_ns > self.max_high_ns * POWER_DOWN_RATIO
        if slowest_ns > self.max_high_ns or value == 0xFFFFFF:
            self.discarded += 1
            return None
        return value

    def in_step(self) -> bool:
        return bool(self.dout.state)  # after the gain pulse DOUT must be high

    def close(self) -> None:
        for pin in (self.dout, self.sck):
            pin.close()


def parse_pins(text: str | None, channels: int) -> tuple[tuple[int, int], ...]:
    """`--pins 5:6,13:19` as ((DOUT, SCK), ...), one pair per channel; the defaults otherwise.

    >>> parse_pins("5:6", 1)
    ((5, 6),)
    """
    if not text:
        return DEFAULT_PINS[:channels]
    try:
        pairs = tuple(
            (int(dout), int(sck)) for dout, sck in (pair.split(":") for pair in text.split(","))
        )
    except ValueError:
        raise ConfigError(
            f"--pins {text!r}: expected DOUT:SCK BCM pin numbers, e.g. 5:6 (or 5:6,13:19,...)"
        ) from None
    if len(pairs) != channels:
        raise ConfigError(f"--pins gives {len(pairs)} cells, the layout has {channels}")
    if any(not 0 <= pin <= 27 for pair in pairs for pin in pair):
        raise ConfigError(f"--pins {text!r}: the Pi's GPIO pins are 0 to 27")
    return pairs


class GpioSensor(Sensor):
    keeps_samples_between_reads = False  # each read clocks one conversion out, there and then

    def __init__(
        self,
        layout: Layout,
        rate_hz: int = 10,
        pins: tuple[tuple[int, int], ...] | None = None,
        factory=None,
        max_high_ns: int = MAX_HIGH_NS,
    ) -> None:
        """`factory`: a gpiozero pin factory (default: the Pi's); `max_high_ns`: the longest
        SCK-high phase trusted (the tests' mock pins are slower than a Pi's, and scale it)."""
        channels = len(layout.channels)
        super().__init__("gpio", layout, rate_hz, uncalibrated(channels))
        self.pins = pins or DEFAULT_PINS[:channels]
        self._factory = factory
        self._max_high_ns = max_high_ns
        self._chips: list[HX711Pins] = []
        self._seq = SEQ_MODULO - 1
        self._started_ns = 0
        self._quiet_until: list[float] = []  # per chip, monotonic: its next conversion is later
        self._io = threading.Lock()  # the pins: one sample at a time, or close

    @property
    def discarded_reads(self) -> int:
        return sum(chip.discarded for chip in self._chips)

    def describe(self) -> dict:
        return {**super().describe(), "pins": self.pins, "discarded_reads": self.discarded_reads}

    def _start(self) -> None:
        if not self._chips:
            factory = self._pin_factory()
            self._chips = [HX711Pins(factory, d, s, self._max_high_ns) for d, s in self.pins]
            self._quiet_until = [-1.0] * len(self._chips)  # none yet: look at once
        if not self._started_ns:
            self._started_ns = time.perf_counter_ns()

    def _close(self) -> None:
        with self._io:  # a read in another thread finishes its sample first (it sees _wake)
            for chip in self._chips:
                chip.close()
            self._chips = []

    def _pin_factory(self):
        if self._factory is not None:
            return self._factory
        from gpiozero import Device
        from gpiozero.exc import BadPinFactory

        try:
            if Device.pin_factory is None:
                Device.pin_factory = Device._default_pin_factory()
        except BadPinFactory as error:
            raise ConfigError(f"no GPIO on this computer ({error}): use sim or serial") from None
        return Device.pin_factory

    def _read(self, timeout_s: float) -> Batch | None:
        deadline = time.monotonic() + timeout_s
        row = None
        while row is None:
            if self._closed or not self._running:
                raise SensorClosed(f"sensor {self.name!r} was closed while reading")
            with self._io:
                row = self._sample(deadline) if self._chips else None
            if row is None and time.monotonic() >= deadline:
                raise SensorTimeout(
                    f"no conversion from the HX711 on GPIO {self.pins} for {timeout_s:g} s: "
                    "DOUT stays high (check power and wiring)"
                )
        t_s, acquired_at, counts, flags = row
        self._seq = (self._seq + 1) % SEQ_MODULO
        return Batch(
            np.array([t_s]),
            np.array([acquired_at]),
            np.array([self._seq], dtype=np.uint16),
            np.array([counts], dtype=COUNTS_DTYPE),
            np.array([flags], dtype=FLAGS_DTYPE),
        )

    def _sample(self, deadline: float) -> tuple | None:
        """One reading of every cell: (t_s, acquired_at, counts, flags), or None if none was
        ready in time. acquired_at is the wall clock read with t_s, not an offset taken at start:
        the wall clock drifts and steps (NTP's first sync on a Pi, which has no real-time clock)."""
        period_s = 1.0 / self.rate_hz
        counts, flags = [0] * len(self._chips), [0] * len(self._chips)
        t_s = acquired_at = fallback = None
        for index, chip in enumerate(self._chips):
            wait_s = 3 * period_s
            for _attempt in range(RETRIES):
                until = min(deadline, time.monotonic() + wait_s)
                seen_high = _wait_ready(chip, until, self._quiet_until[index], period_s, self._wake)
                if seen_high is None:
                    if self._wake.is_set():
                        return None  # stopped or closed: the caller says so, no TIMEOUT flags
                    flags[index] = SampleFlag.TIMEOUT
                    break
                # Any read, kept or thrown away, takes the conversion: the next is a period on
                # from when it came, which was after DOUT was last seen high (-1.0: unknown).
                self._quiet_until[index] = seen_high + QUIET_PERIODS * period_s
                stamp = ((time.perf_counter_ns() - self._started_ns) / 1e9, time.time())
                word = chip.read_word()
                if word is None:  # disturbed, maybe powered down: the next conversion may come
                    wait_s = (3 + SETTLING_PERIODS) * period_s  # only after the settling time
                    fallback = fallback or stamp
                    if chip.powered_down:  # it wakes as SCK goes low, converting after settling
                        settling_s = SETTLING_PERIODS * period_s
                        self._quiet_until[index] = time.monotonic() + QUIET_PERIODS * settling_s
                    continue
                if t_s is None:  # the sample's time is its first kept read's, not a discarded one
                    t_s, acquired_at = stamp
                counts[index] = sign_extend_24(word)
                flags[index] = 0 if chip.in_step() else SampleFlag.DESYNC
                if counts[index] in (COUNTS_MAX, COUNTS_MIN):
                    flags[index] |= SampleFlag.SATURATED
                break
            else:
                flags[index] = SampleFlag.DESYNC  # every try was disturbed
        if t_s is None:  # nothing kept: every try disturbed (flagged), or nothing ready in time
            if fallback is None:
                return None
            t_s, acquired_at = fallback
        return t_s, acquired_at, counts, flags


def _wait_ready(
    chip: HX711Pins, until: float, quiet_until: float, period_s: float, wake: threading.Event
) -> float | None:
    """Wait for DOUT low before `until`, not looking before `quiet_until` (monotonic times).
    Returns when DOUT was last seen high, after which this conversion came (-1.0 when it was low
    at the first look: it may have waited since any time); None on a timeout, or at once when
    stop() or close() wakes us."""
    quiet_s = min(quiet_until, until) - time.monotonic()
    if quiet_s > 0 and wake.wait(quiet_s):
        return None
    poll_s = period_s / POLLS_PER_PERIOD
    seen_high = -1.0
    while not chip.ready():
        seen_high = time.monotonic()
        if seen_high >= until or wake.wait(poll_s):
            return None
    return seen_high
