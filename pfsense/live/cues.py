"""Cues on the device itself, with gpiozero: a button (press: start or stop a session; hold 2 s:
tare), an LED showing the band (steady in it, slow pulse below, fast blink above) and a buzzer
for over-pressure, at most once a second. They follow the live stream like any page does, through
their own bounded subscription, so they never hold up acquisition.

Missing GPIO never stops pfsense: `Cues.start` says once that cues are off, and why.
"""

import logging
import threading
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from pfsense.errors import ConfigError, PfsenseError

log = logging.getLogger(__name__)

HOLD_S = 2.0
BEEP_EVERY_S = 1.0  # over-pressure is signalled at once, then at most once a second
BEEP_S = 0.15


@dataclass(frozen=True)
class CuePins:
    """BCM pin numbers; None leaves that cue out."""

    button: int | None = 17
    led: int | None = 27
    buzzer: int | None = 22

    @classmethod
    def parse(cls, text: str) -> "CuePins":
        """`button=17,led=27,buzzer=22` (any of them), or `off`.

        >>> CuePins.parse("led=12")
        CuePins(button=None, led=12, buzzer=None)
        """
        if text == "off":
            return cls(None, None, None)
        fields = {}
        for item in text.split(","):
            name, _, value = item.partition("=")
            if name not in ("button", "led", "buzzer") or not value.isdigit():
                raise ConfigError(
                    f"--cues {text!r}: expected off, or button=N,led=N,buzzer=N (BCM pins)"
                )
            if not 0 <= int(value) <= 27:
                raise ConfigError(f"--cues {text!r}: the Pi's GPIO pins are 0 to 27")
            fields[name] = int(value)
        return cls(fields.get("button"), fields.get("led"), fields.get("buzzer"))


class Cues:
    def __init__(self, live, pins: CuePins, factory=None, hold_s: float = HOLD_S) -> None:
        self.live = live
        self.pins = pins
        self.factory = factory
        self.hold_s = hold_s
        self.button = self.led = self.buzzer = None
        self.beeps = 0
        self._held = False
        self._band = None
        self._last_beep_mono = -BEEP_EVERY_S
        self._subscription = None
        self._thread = None

    def start(self) -> bool:
        """Set up the devices and follow the stream; False (said once) if there is no GPIO."""
        if all(pin is None for pin in (self.pins.button, self.pins.led, self.pins.buzzer)):
            return False
        if self.factory is None and not list(Path("/dev").glob("gpiochip*")):
            log.warning("cues are off: this computer has no GPIO (/dev/gpiochip*)")
            return False
        try:
            self._make_devices()
        except Exception as error:  # gpiozero's errors are many; any of them means no cues
            log.warning("cues are off: %s", error)
            self.close()
            return False
        self._subscription = self.live.hub.subscribe()
        self._thread = threading.Thread(target=self._follow, name="pfsense-cues", daemon=True)
        self._thread.start()
        return True

    def close(self) -> None:
        if self._subscription is not None:
            self.live.hub.unsubscribe(self._subscription)
        for device in (self.button, self.led, self.buzzer):
            if device is not None:
                device.close()

    def _make_devices(self) -> None:
        from gpiozero import PWMLED, Button, Buzzer

        with warnings.catch_warnings():  # gpiozero warns while it looks for a pin library
            warnings.simplefilter("ignore")
            options = {"pin_factory": self.factory} if self.factory is not None else {}
            if self.pins.button is not None:
                self.button = Button(self.pins.button, hold_time=self.hold_s, **options)
                self.button.when_held = self._held_down
                self.button.when_released = self._released
            if self.pins.led is not None:
                self.led = PWMLED(self.pins.led, **options)
            if self.pins.buzzer is not None:
                self.buzzer = Buzzer(self.pins.buzzer, **options)

    # The button.

    def _held_down(self) -> None:
        self._held = True
        self._act(self.live.tare, "tare")

    def _released(self) -> None:
        if self._held:  # the end of a hold, not a press
            self._held = False
            return
        running = self.live.session is not None
        self._act(self.live.stop_session if running else self.live.start_session, "session")

    def _act(self, action, what: str) -> None:
        try:
            action()
        except PfsenseError as error:  # refused (weight on, no sensor): the page shows state
            log.warning("button %s: %s", what, error)
            self._beep(time.monotonic(), times=3)

    # The stream.

    def _follow(self) -> None:
        subscription = self._subscription
        while not subscription.closed:
            for event in subscription.get(1.0):
                if event.payload.get("type") == "frame":
                    self._show(event.payload["force_n"])

    def _show(self, forces: list) -> None:
        force_n = next((f for f in reversed(forces) if f is not None), None)
        if force_n is None:
            return
        low, high = self.live.snapshot.target_band_n
        band = "below" if force_n < low else "above" if force_n > high else "in"
        if band == "above":
            self._beep(time.monotonic())
        if band != self._band and self.led is not None:
            if band == "in":
                self.led.on()
            elif band == "below":
                self.led.pulse(fade_in_time=0.5, fade_out_time=0.5)
            else:
                self.led.blink(on_time=0.1, off_time=0.1)
        self._band = band

    def _beep(self, now: float, times: int = 1) -> None:
        if self.buzzer is None or now - self._last_beep_mono < BEEP_EVERY_S:
            return
        self._last_beep_mono = now
        self.beeps += 1
        self.buzzer.beep(on_time=BEEP_S, off_time=BEEP_S, n=times)
