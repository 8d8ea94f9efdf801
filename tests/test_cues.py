"""Cues on gpiozero's MockFactory, following a real live service on the simulated sensor:
button press starts and stops a session, a 2 s hold tares, the LED shows the band, the buzzer
signals over-pressure at once and then at most once a second."""

import logging
import time

import pytest
from gpiozero.pins.mock import MockFactory, MockPWMPin

from pfsense.errors import ConfigError
from pfsense.live.cues import CuePins, Cues
from pfsense.live.service import LiveService
from pfsense.sensors import SensorOptions, open_sensor
from pfsense.sim.script import parse_script

from .server import wait_for

PINS = CuePins(button=17, led=27, buzzer=22)


@pytest.fixture
def factory():
    factory = MockFactory(pin_class=MockPWMPin)
    yield factory
    factory.reset()


def running(script: str, tmp_path):
    sensor = open_sensor("sim", SensorOptions(layout="single", script=parse_script(script)))
    live = LiveService(sensor, data_dir=tmp_path)
    live.start()
    return live


def test_press_starts_and_stops_a_session_and_hold_tares(factory, tmp_path):
    live = running("weight:600 force=100", tmp_path)
    cues = Cues(live, PINS, factory, hold_s=0.3)
    try:
        assert cues.start()
        button = factory.pin(17)
        button.drive_low()
        button.drive_high()
        wait_for(lambda: live.session is not None, 3)
        button.drive_low()
        button.drive_high()
        wait_for(lambda: live.session is None, 3)
        assert live.last_session["report"]["ended_by"] == "stopped"
        button.drive_low()  # held: tare the 100 N weight away
        wait_for(lambda: "tared" in live.loop.processor.calibration.source, 5)
        button.drive_high()
        time.sleep(0.2)
        assert live.session is None  # the release after a hold is not a press
        # The status snapshot is refreshed twice a second: the tared reading shows within that.
        wait_for(lambda: abs(live.status()["latest"]["force_n"]) < 1.0, 2)
    finally:
        cues.close()
        live.stop()


def test_the_led_shows_the_band_and_the_buzzer_over_pressure(factory, tmp_path):
    live = running("trigger_point:600 force=400", tmp_path)  # far over the 127-267 N band
    cues = Cues(live, PINS, factory)
    try:
        cues.start()
        wait_for(lambda: cues.beeps >= 1, 5)
        first = time.monotonic()
        wait_for(lambda: cues.beeps >= 3, 5)
        assert time.monotonic() - first >= 1.9  # at most once a second
        assert cues._band == "above"
        buzzer = factory.pin(22)
        assert any(state.state for state in buzzer.states)
    finally:
        cues.close()
        live.stop()


def test_in_band_the_led_is_steady_on(factory, tmp_path):
    live = running("trigger_point:600 force=200", tmp_path)
    cues = Cues(live, PINS, factory)
    try:
        cues.start()
        wait_for(lambda: cues._band == "in", 5)
        wait_for(lambda: factory.pin(27).state == 1, 2)
        assert cues.beeps == 0
    finally:
        cues.close()
        live.stop()


def test_without_gpio_cues_are_off_and_say_so_once(tmp_path, caplog, monkeypatch):
    live = running("rolling:600", tmp_path)
    try:
        monkeypatch.setattr("pfsense.live.cues.Path.glob", lambda self, pattern: iter(()))
        with caplog.at_level(logging.WARNING, "pfsense.live.cues"):
            assert not Cues(live, PINS).start()
        assert [r.message for r in caplog.records] == [
            "cues are off: this computer has no GPIO (/dev/gpiochip*)"
        ]
        assert live.state in ("starting", "streaming")
    finally:
        live.stop()


@pytest.mark.parametrize(
    ("text", "message"), [("led=x", "expected off, or button=N"), ("buzzer=40", "0 to 27")]
)
def test_bad_cue_pins_are_refused(text, message):
    with pytest.raises(ConfigError, match=message):
        CuePins.parse(text)
