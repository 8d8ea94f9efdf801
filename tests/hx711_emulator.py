"""An HX711 emulated at the pin level, on the stand-ins' virtual clock (tests/pico_standins).

DOUT goes low when a conversion is ready (every 1/rate s); each SCK rising edge shifts out the
next bit, MSB first; after the 24th, the 25th pulse (gain 128, channel A) sets DOUT high until
the next conversion. SCK held high for more than 60 us powers the chip down (DOUT high); SCK low
again wakes it, and the first conversion comes after the 80 SPS settling time. Faults: `unplugged`
(DOUT floats high: never ready), `desync` (DOUT left low after the gain pulse).
"""

POWER_DOWN_US = 60.0
SETTLING_PERIODS = 4  # 50 ms at 80 SPS (datasheet)


class EmulatedHX711:
    def __init__(self, clock, values, rate_hz=80, first_ready_us=0.0, power_down_us=POWER_DOWN_US):
        self.clock = clock
        self.power_down_us = power_down_us
        self.values = iter(values)  # signed counts, one per conversion
        self.period_us = 1e6 / rate_hz
        self.next_ready_us = first_ready_us
        self.word = None  # the conversion being (or waiting to be) read, as 24 unsigned bits
        self.pulses = 0
        self.sck_high = False
        self.sck_high_since_us = 0.0
        self.powered = True
        self.unplugged = False
        self.desync = False
        self.conversions = 0
        self.converted_at_us = []  # when each conversion came, on `clock` (a power-down shifts it)
        self.power_downs = 0

    def attach(self, dout_pin, sck_pin):
        dout_pin.read_hook = self.dout
        sck_pin.write_hook = self.sck

    def dout(self):
        self._update()
        if self.unplugged or not self.powered:
            return True
        if self.pulses:
            if self.pulses <= 24:
                return bool((self.word >> (24 - self.pulses)) & 1)
            return not self.desync
        return self.word is None

    def sck(self, high):
        self._update()
        now = self.clock.now_us
        if high and not self.sck_high:
            self.sck_high, self.sck_high_since_us = True, now
            if self.powered and (self.word is not None or self.pulses):
                self.pulses += 1
        elif not high and self.sck_high:
            self.sck_high = False
            if not self.powered:  # waking up: a fresh start after the settling time
                self.powered = True
                self.next_ready_us = now + SETTLING_PERIODS * self.period_us
            elif self.pulses >= 25:  # the gain pulse: this conversion is done
                # In step, DOUT goes high until the next conversion; out of step it stays low.
                self.pulses, self.word = 0, (0 if self.desync else None)

    def _update(self):
        now = self.clock.now_us
        if self.sck_high and self.powered and now - self.sck_high_since_us > self.power_down_us:
            self.powered, self.pulses, self.word = False, 0, None
            self.power_downs += 1
        if self.powered and not self.pulses:
            while now >= self.next_ready_us:  # an unread conversion is replaced by the next
                self.word = next(self.values) & 0xFFFFFF
                self.conversions += 1
                self.converted_at_us.append(self.next_ready_us)
                self.next_ready_us += self.period_us
