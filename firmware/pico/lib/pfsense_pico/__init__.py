"""pfsense's Raspberry Pi Pico firmware (CircuitPython): HX711s in, framed lines out over USB."""

VERSION = "1"
