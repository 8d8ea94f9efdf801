"""The firmware's loop: answer the Pi's commands, and while started, send a frame per conversion.

`Firmware(port, channels, clock_us, wait_us)` is plain Python with its hardware passed in, so the
tests run it under CPython against emulated HX711s; code.py builds it from the real pins.
"""

from pfsense_pico import VERSION, link
from pfsense_pico.reader import Reader

RATES_HZ = (10, 80)  # the HX711 board's RATE pin; the Pico cannot set it, only be told it


class Firmware:
    def __init__(self, port, channels, clock_us, wait_us, rate_hz=80):
        self.port = port  # usb_cdc.data: write(bytes), read(n), in_waiting
        self.all_channels = channels
        self.reader = Reader(list(channels), clock_us, wait_us, rate_hz)
        self.running = False
        self.seq = 0
        self._line = b""

    def hello(self):
        channels, rate_hz = len(self.reader.channels), self.reader.rate_hz
        return link.encode_note(f"pfsense-pico v{VERSION} channels={channels} rate={rate_hz}")

    def step(self):
        """Handle waiting commands, then send one frame if started."""
        self.handle_commands()
        if self.running:
            t_us, counts, flags = self.reader.frame()
            self.port.write(link.encode_frame(self.seq, t_us, counts, flags))
            self.seq = (self.seq + 1) & 0xFFFF
        else:
            self.reader.wait_us(1000)

    def handle_commands(self):
        waiting = self.port.in_waiting
        if not waiting:
            return
        self._line += self.port.read(waiting)
        while b"\n" in self._line:
            line, self._line = self._line.split(b"\n", 1)
            self.command(line)
        if len(self._line) > 64:  # garbage without a newline: drop it
            self._line = b""

    def command(self, line):
        parsed = link.parse_command(line)
        if parsed is None:
            self.port.write(link.encode_note("error unknown command " + repr(line[:32])))
            return
        name, argument = parsed
        if name == "hello":
            self.port.write(self.hello())
        elif name == "start":
            self.running = True
        elif name == "stop":
            self.running = False
        elif name == "rate" and argument in RATES_HZ:
            self.reader.rate_hz = argument
            self.port.write(self.hello())
        elif name == "channels" and 1 <= argument <= len(self.all_channels):
            self.reader.channels = list(self.all_channels[:argument])
            self.port.write(self.hello())
        else:
            self.port.write(link.encode_note("error bad value " + repr(line[:32])))

    def run(self):
        while True:
            self.step()
