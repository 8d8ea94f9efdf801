"""What the simulated foot does: a script of segments (technique, zone, duration, force, cadence,
stroke length), with defaults per technique that follow the signatures in DOMAIN.md."""

import math
from dataclasses import dataclass, replace

from pfsense.clinical import doses
from pfsense.clinical.techniques import Technique, Zone
from pfsense.errors import ConfigError

REST = "rest"  # a segment with the foot off the ball
WEIGHT = "weight"  # a dead weight of force_n at (x_mm, y_mm): for calibration tests


@dataclass(frozen=True)
class TechniqueMotion:
    """How a technique looks on the sensor (DOMAIN.md, 'signature on the sensor')."""

    force_factor: float  # times the typical rolling force
    cadence_per_min: float  # full back-and-forth cycles a minute; 0 = no periodic motion
    stroke_mm: float  # peak-to-peak travel of the ball
    axis: str  # "along" (y), "across" (x) or "none"
    default_zone: Zone
    duration_s: float


MOTIONS = {
    # Steady moderate force, periodic motion along the foot; self-paced 33/min (Sezik 2024).
    Technique.ROLLING: TechniqueMotion(
        1.0, doses.SELF_PACED_CADENCE_PER_MIN, 120.0, "along", Zone.ARCH, 60.0
    ),
    # High force, slow motion under 15 cycles/min.
    Technique.DEEP_TISSUE: TechniqueMotion(1.3, 8.0, 80.0, "along", Zone.ARCH, 60.0),
    # Across the fascia, faster and shorter strokes.
    Technique.CROSS_FIBER_FRICTION: TechniqueMotion(0.8, 50.0, 25.0, "across", Zone.ARCH, 45.0),
    # Low-moderate force, little motion, long duration.
    Technique.MYOFASCIAL_RELEASE: TechniqueMotion(0.45, 0.0, 0.0, "none", Zone.ARCH, 90.0),
    # Moderate-high force held still on one spot 15-90 s.
    Technique.TRIGGER_POINT: TechniqueMotion(1.15, 0.0, 0.0, "none", Zone.HEEL, 30.0),
    # Calf on the ball: periodic compression (kneading).
    Technique.CALF_RELEASE: TechniqueMotion(0.7, 20.0, 40.0, "along", Zone.CALF, 45.0),
}

MAX_FORCE_N = 2000.0  # more than a standing adult's weight: a script asking for it is a typo
MAX_CADENCE_PER_MIN = 240.0
MAX_STROKE_MM = 300.0
MAX_OFFSET_MM = 500.0  # half the largest plate


@dataclass(frozen=True)
class Segment:
    """One stretch of the script. None means the technique's default."""

    technique: Technique | str  # a Technique, REST or WEIGHT
    duration_s: float
    zone: Zone | None = None
    force_n: float | None = None
    cadence_per_min: float | None = None
    stroke_mm: float | None = None
    x_mm: float = 0.0  # where a WEIGHT stands on the plate
    y_mm: float = 0.0

    @property
    def is_rest(self) -> bool:
        return self.technique == REST

    @property
    def is_weight(self) -> bool:
        return self.technique == WEIGHT

    def resolved(self, rolling_force_n: float) -> "Segment":
        """This segment with every default filled in and every value checked."""
        check_segment(self)
        if self.is_rest or self.is_weight:
            force_n = self.force_n if self.is_weight and self.force_n is not None else 0.0
            return replace(self, zone=None, force_n=force_n, cadence_per_min=0.0, stroke_mm=0.0)
        motion = MOTIONS[Technique(self.technique)]
        return replace(
            self,
            technique=Technique(self.technique),
            zone=self.zone or motion.default_zone,
            force_n=self.force_n
            if self.force_n is not None
            else motion.force_factor * rolling_force_n,
            cadence_per_min=_default(self.cadence_per_min, motion.cadence_per_min),
            stroke_mm=_default(self.stroke_mm, motion.stroke_mm),
        )


def _default(value: float | None, default: float) -> float:
    return default if value is None else value


def check_segment(segment: Segment) -> None:
    """Raise ConfigError naming the field if a segment asks for something impossible."""
    if segment.technique not in (REST, WEIGHT) and segment.technique not in set(Technique):
        names = ", ".join([t.value for t in Technique] + [REST, WEIGHT])
        raise ConfigError(f"unknown technique {segment.technique!r}: expected one of {names}")
    _check_range("duration_s", segment.duration_s, 0.1, 24 * 3600.0)
    _check_range("force_n", segment.force_n, 0.0, MAX_FORCE_N)
    _check_range("cadence_per_min", segment.cadence_per_min, 0.0, MAX_CADENCE_PER_MIN)
    _check_range("stroke_mm", segment.stroke_mm, 0.0, MAX_STROKE_MM)
    _check_range("x_mm", segment.x_mm, -MAX_OFFSET_MM, MAX_OFFSET_MM)
    _check_range("y_mm", segment.y_mm, -MAX_OFFSET_MM, MAX_OFFSET_MM)


def _check_range(name: str, value: float | None, low: float, high: float) -> None:
    if value is None:
        return
    if not isinstance(value, int | float) or not math.isfinite(value) or not low <= value <= high:
        raise ConfigError(
            f"segment {name} = {value!r} is out of range: expected {low:g} to {high:g}"
        )


def demo_script() -> list[Segment]:
    """A short routine through every technique, for `pfsense serve --sensor sim`."""
    return [
        Segment(Technique.ROLLING, 40.0, Zone.ARCH),
        Segment(Technique.ROLLING, 30.0, Zone.HEEL),
        Segment(Technique.ROLLING, 30.0, Zone.FOREFOOT),
        Segment(REST, 8.0),
        Segment(Technique.DEEP_TISSUE, 30.0, Zone.ARCH),
        Segment(Technique.CROSS_FIBER_FRICTION, 30.0, Zone.ARCH),
        Segment(REST, 8.0),
        Segment(Technique.TRIGGER_POINT, 30.0, Zone.HEEL),
        Segment(Technique.MYOFASCIAL_RELEASE, 95.0, Zone.ARCH),  # longer than any trigger point
        Segment(REST, 8.0),
        Segment(Technique.CALF_RELEASE, 30.0, Zone.CALF),
        Segment(REST, 8.0),
    ]


def parse_script(text: str) -> list[Segment]:
    """Parse a script: `;`-separated segments, each ``TECHNIQUE[@ZONE]:SECONDS`` followed by
    optional ``force=N cadence=PER_MIN stroke=MM``.

    >>> [(str(s.technique), s.duration_s, s.force_n) for s in parse_script(
    ...     "rolling@arch:60 force=220; rest:10")]
    [('rolling', 60.0, 220.0), ('rest', 10.0, None)]
    """
    segments = [_parse_segment(part.strip()) for part in text.split(";") if part.strip()]
    if not segments:
        raise ConfigError("the simulator script is empty: expected e.g. 'rolling@arch:60; rest:10'")
    return segments


def _parse_segment(text: str) -> Segment:
    head, *options = text.split()
    name, sep, seconds = head.partition(":")
    if not sep:
        raise ConfigError(
            f"script segment {text!r} has no duration: expected TECHNIQUE[@ZONE]:SECONDS"
        )
    technique, _, zone = name.partition("@")
    fields = {
        "technique": technique
        if technique in (REST, WEIGHT)
        else _enum(Technique, technique, "technique")
    }
    fields["duration_s"] = _number(seconds, "duration", text)
    if zone:
        fields["zone"] = _enum(Zone, zone, "zone")
    keys = {
        "force": "force_n",
        "cadence": "cadence_per_min",
        "stroke": "stroke_mm",
        "x": "x_mm",
        "y": "y_mm",
    }
    for option in options:
        key, _, value = option.partition("=")
        if key not in keys:
            raise ConfigError(
                f"unknown script option {key!r} in {text!r}: "
                "expected force, cadence, stroke, x or y"
            )
        fields[keys[key]] = _number(value, key, text)
    segment = Segment(**fields)
    check_segment(segment)
    return segment


def _enum(kind: type, value: str, label: str):
    try:
        return kind(value)
    except ValueError:
        names = ", ".join(item.value for item in kind)
        extra = f", {REST}" if kind is Technique else ""
        raise ConfigError(f"unknown {label} {value!r}: expected one of {names}{extra}") from None


def _number(value: str, label: str, text: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise ConfigError(f"{label} {value!r} in script segment {text!r} is not a number") from None
