# pfsense on a Raspberry Pi Pico: HX711s on the pins below, frames to the Pi over usb_cdc.data.
# Wiring (one HX711 per load cell, each with its own DOUT and SCK): see hardware/README.md.
import time

import board
import digitalio
import microcontroller
import usb_cdc
from pfsense_pico.main import Firmware
from pfsense_pico.reader import Channel

# (DOUT, SCK) per cell: fl, fr, rl, rr for a plate; only the first for a single cell.
PINS = (
    (board.GP2, board.GP3),
    (board.GP4, board.GP5),
    (board.GP6, board.GP7),
    (board.GP8, board.GP9),
)
CHANNELS = 4  # the Pi says how many it uses ("channels N")


def pin(name, output):
    io = digitalio.DigitalInOut(name)
    io.direction = digitalio.Direction.OUTPUT if output else digitalio.Direction.INPUT
    if not output:
        io.pull = digitalio.Pull.UP  # an absent HX711 then reads "not ready": a timeout, no hang
    return io


def clock_us():
    return time.monotonic_ns() // 1000


if usb_cdc.data is None:  # boot.py has not run yet: it takes effect after a reset
    print("pfsense: no usb_cdc data port; copy boot.py to CIRCUITPY and reset the Pico")
else:
    channels = [Channel(pin(dout, False), pin(sck, True)) for dout, sck in PINS[:CHANNELS]]
    Firmware(usb_cdc.data, channels, clock_us, microcontroller.delay_us).run()
