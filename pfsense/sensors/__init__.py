"""Sensors: one interface whatever the hardware.

Open one by name: ``open_sensor("sim", SensorOptions(layout="plate4"))`` or
``open_sensor("replay:session.csv")``.
"""

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from pfsense.errors import ConfigError, UnknownSensor
from pfsense.sensors.base import Sensor
from pfsense.sensors.batch import Batch, seq_gaps
from pfsense.sensors.flags import SampleFlag
from pfsense.sensors.layout import make_layout

if TYPE_CHECKING:  # the simulator is imported only when a simulated sensor is opened
    from pfsense.sim import FaultKnobs, Segment

__all__ = [
    "Batch",
    "SampleFlag",
    "Sensor",
    "SensorOptions",
    "available_sensors",
    "open_sensor",
    "seq_gaps",
]


@dataclass(frozen=True)
class SensorOptions:
    """What the command line can say about a sensor. Options a driver has no use for are ignored
    (a recording knows its own layout and rate)."""

    layout: str = "single"
    plate_mm: tuple[float, float] | None = None
    rate_hz: int = 80
    realtime: bool = True
    seed: int = 0
    script: "tuple[Segment, ...] | None" = None
    loop: bool = True
    faults: "FaultKnobs | None" = None  # None: no faults
    gpio_pins: str | None = None  # gpio: "DOUT:SCK,..." (BCM), else the defaults
    follow_routine: bool = True  # sim: the simulated person does what a running routine asks


@dataclass(frozen=True)
class SensorKind:
    pattern: str
    description: str
    available: bool
    detail: str


def open_sensor(name: str, options: SensorOptions | None = None) -> Sensor:
    """Open a sensor by name (not yet started: use it in a ``with`` block or call start())."""
    options = options or SensorOptions()
    kind, _, argument = name.partition(":")
    if kind == "sim" and not argument:
        return _open_sim(options)
    if kind == "replay" and argument:
        from pfsense.sensors.replay import ReplaySensor

        return ReplaySensor(Path(argument), options.realtime, options.plate_mm)
    if kind == "serial":
        from pfsense.sensors.serial_port import SerialSensor

        return SerialSensor(
            argument or "auto", make_layout(options.layout, options.plate_mm), options.rate_hz
        )
    if kind == "gpio" and not argument:
        from pfsense.sensors.gpio import GpioSensor, parse_pins

        layout = make_layout(options.layout, options.plate_mm)
        pins = parse_pins(options.gpio_pins, len(layout.channels))
        if not _gpio_chips() and not os.environ.get("GPIOZERO_PIN_FACTORY"):
            raise ConfigError(
                "no GPIO on this computer (no /dev/gpiochip*): the gpio sensor runs on a "
                "Raspberry Pi; use 'sim' here, or 'serial:auto' with a Pico"
            )
        return GpioSensor(layout, options.rate_hz, pins)
    raise UnknownSensor(
        f"unknown sensor {name!r}: expected 'sim', 'replay:PATH', 'serial:PORT' or 'gpio' "
        "(see 'pfsense sensors')"
    )


def _open_sim(options: SensorOptions) -> Sensor:
    from pfsense.sensors.sim import SimSensor
    from pfsense.sim.faults import FaultKnobs
    from pfsense.sim.hx711 import SUPPORTED_RATES_HZ
    from pfsense.sim.simulator import SimConfig

    if options.rate_hz not in SUPPORTED_RATES_HZ:
        raise ConfigError(f"rate {options.rate_hz!r} SPS is not an HX711 rate: expected 10 or 80")
    layout = make_layout(options.layout, options.plate_mm)
    config = SimConfig(
        layout=layout,
        rate_hz=options.rate_hz,
        seed=options.seed,
        loop=options.loop,
        faults=options.faults or FaultKnobs(),
    )
    if options.script is not None:
        config = replace(config, script=options.script)
    return SimSensor(config, realtime=options.realtime, follows_routines=options.follow_routine)


def _gpio_chips() -> list[str]:
    return sorted(str(p) for p in Path("/dev").glob("gpiochip*"))


def _pico_detail() -> str:
    from pfsense.sensors.serial_port import find_pico_port

    try:
        port = find_pico_port()
    except ImportError:
        return "pyserial is missing"
    return f"a Pico at {port}" if port else "no Pico plugged in"


def available_sensors() -> list[SensorKind]:
    """Every driver this pfsense has, and whether it can be used on this machine."""
    gpio_chips = _gpio_chips()
    return [
        SensorKind(
            "sim",
            "simulated foot, ball and HX711s (layouts single, plate4)",
            True,
            "always available",
        ),
        SensorKind(
            "replay:PATH", "plays back a recording or a plain t,force CSV", True, "needs a file"
        ),
        SensorKind(
            "serial:PORT",
            "Raspberry Pi Pico running firmware/pico, over USB (serial:auto finds it)",
            True,
            _pico_detail(),
        ),
        SensorKind(
            "gpio",
            "HX711s wired to this computer's GPIO (--pins DOUT:SCK,...): one cell at 10 SPS; "
            "best effort above",
            bool(gpio_chips),
            ", ".join(gpio_chips) or "no /dev/gpiochip* here",
        ),
    ]
