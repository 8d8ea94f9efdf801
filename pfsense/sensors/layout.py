"""Sensor layouts: one cell under a ball, or four corner cells under a plate."""

import math
from dataclasses import dataclass

from pfsense.errors import ConfigError

SINGLE_CHANNELS = ("cell",)
PLATE4_CHANNELS = ("fl", "fr", "rl", "rr")  # front/rear, left/right as the user faces forward

# Wide enough for a foot plus the ball's travel (x across the foot, y along it).
DEFAULT_PLATE_MM = (300.0, 400.0)
PLATE_MM_RANGE = (100.0, 1000.0)


@dataclass(frozen=True)
class Layout:
    """Which cells there are and, for a plate, its size (x across the foot, y along it)."""

    name: str
    channels: tuple[str, ...]
    plate_width_mm: float | None = None
    plate_length_mm: float | None = None

    @property
    def is_plate(self) -> bool:
        return self.plate_width_mm is not None

    def to_dict(self) -> dict:
        return {
            "layout": self.name,
            "channels": list(self.channels),
            "plate_mm": [self.plate_width_mm, self.plate_length_mm] if self.is_plate else None,
        }


def make_layout(name: str, plate_mm: tuple[float, float] | None = None) -> Layout:
    """Build and check a layout: ``make_layout("plate4", (300, 400))``."""
    if name == "single":
        return Layout("single", SINGLE_CHANNELS)
    if name == "plate4":
        width_mm, length_mm = check_plate_mm(plate_mm or DEFAULT_PLATE_MM)
        return Layout("plate4", PLATE4_CHANNELS, width_mm, length_mm)
    raise ConfigError(f"unknown layout {name!r}: expected 'single' or 'plate4'")


def check_plate_mm(plate_mm: tuple[float, float]) -> tuple[float, float]:
    """Plate width and length in mm, each within PLATE_MM_RANGE."""
    low, high = PLATE_MM_RANGE
    if len(plate_mm) != 2:
        raise ConfigError(f"plate size needs width and length in mm, got {plate_mm!r}")
    for label, value in zip(("width", "length"), plate_mm, strict=True):
        if not isinstance(value, int | float) or not math.isfinite(value):
            raise ConfigError(f"plate {label} must be a number of mm, got {value!r}")
        if not low <= value <= high:
            raise ConfigError(
                f"plate {label} {value:g} mm is out of range: expected {low:g}-{high:g} mm"
            )
    return float(plate_mm[0]), float(plate_mm[1])


def parse_plate_mm(text: str) -> tuple[float, float]:
    """Parse width x length in mm, as written in recordings and on the command line.

    >>> parse_plate_mm("300x400")
    (300.0, 400.0)
    """
    parts = text.lower().replace(",", "x").split("x")
    try:
        values = tuple(float(part) for part in parts)
    except ValueError:
        raise ConfigError(f"plate size {text!r} is not WIDTHxLENGTH in mm, e.g. 300x400") from None
    return check_plate_mm(values)
