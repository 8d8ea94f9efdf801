"""Reading HX711s with the adafruit-circuitpython-hx711 library, at the full rate.

The library's `read_channel_blocking` reads twice and keeps the second (half the rate), its sign
extension turns a negative reading into a large positive one, and it waits for DOUT with no
timeout. So this reader waits for DOUT itself, with a timeout, clocks the 24 bits and the gain
pulses with the library's own `read_fast` (interrupts off, so the bits stay in step), sign-extends
correctly, and checks that DOUT is high again after the gain pulses (else the read was out of step:
a desync).
"""

from adafruit_hx711.hx711 import HX711, read_fast

from pfsense_pico import link

GAIN_128_PULSES = HX711.CHAN_A_GAIN_128  # 24 data bits + 1 pulse: channel A, gain 128
COUNTS_MAX = (1 << 23) - 1
COUNTS_MIN = -(1 << 23)


def signed_24(raw):
    """A 24-bit two's-complement reading as a Python int.

    >>> signed_24(0xFFFFFF), signed_24(0x7FFFFF), signed_24(0x800000)
    (-1, 8388607, -8388608)
    """
    return raw - (1 << 24) if raw & 0x800000 else raw


class Channel:
    """One HX711 on its own DOUT and SCK pins (digitalio.DigitalInOut)."""

    def __init__(self, data_pin, clock_pin):
        self.data = data_pin
        self.clock = clock_pin
        self.clock.value = False  # SCK high for 60 us would power the chip down

    def ready(self):
        return not self.data.value  # DOUT low: a conversion is waiting

    def read(self):
        """(counts, flags) of the conversion waiting now."""
        raw = read_fast(self.clock, self.data, GAIN_128_PULSES) >> (GAIN_128_PULSES - 24)
        counts = signed_24(raw)
        flags = 0
        if not self.data.value:  # after the gain pulses DOUT must be high
            flags |= link.DESYNC
        if counts in (COUNTS_MAX, COUNTS_MIN):
            flags |= link.SATURATED
        return counts, flags


class Reader:
    """All channels, one frame per conversion: each is read as soon as it is ready. A channel not
    ready within `timeout_us` is flagged TIMEOUT (an unplugged or unpowered HX711 keeps DOUT high
    forever); once it has timed out it is not waited for again, so the others keep their full
    rate, until it answers again."""

    def __init__(self, channels, clock_us, wait_us, rate_hz=80):
        self.channels = channels
        self.clock_us = clock_us
        self.wait_us = wait_us
        self.rate_hz = rate_hz
        self.dead = [False] * len(channels)

    @property
    def timeout_us(self):
        return 3 * 1000000 // self.rate_hz  # three conversion periods

    def frame(self):
        """(t_us, counts, flags) for one conversion of every channel."""
        n = len(self.channels)
        if len(self.dead) != n:
            self.dead = [False] * n
        counts, flags, done = [0] * n, [0] * n, [False] * n
        start = self.clock_us()
        t_us = None
        while True:
            for i, channel in enumerate(self.channels):
                if not done[i] and channel.ready():
                    if t_us is None:
                        t_us = self.clock_us()
                    counts[i], flags[i] = channel.read()
                    done[i] = True
                    self.dead[i] = False
            waited_out = self.clock_us() - start > self.timeout_us
            alive_done = all(done[i] or self.dead[i] for i in range(n)) and any(done)
            if all(done) or alive_done or waited_out:
                break
            self.wait_us(50)
        for i in range(n):
            if not done[i]:
                flags[i] |= link.TIMEOUT
                self.dead[i] = True
        return (t_us if t_us is not None else start), counts, flags
