"""The techniques and foot zones pfsense knows, by the names used everywhere (JSON, CSV, CLI)."""

import enum
from dataclasses import dataclass


class Technique(enum.StrEnum):
    """Self-massage techniques from DOMAIN.md."""

    ROLLING = "rolling"
    DEEP_TISSUE = "deep_tissue"
    CROSS_FIBER_FRICTION = "cross_fiber_friction"
    MYOFASCIAL_RELEASE = "myofascial_release"
    TRIGGER_POINT = "trigger_point"
    CALF_RELEASE = "calf_release"


class Zone(enum.StrEnum):
    """Where the work goes: three zones of the sole, and the calf."""

    HEEL = "heel"
    ARCH = "arch"
    FOREFOOT = "forefoot"
    CALF = "calf"


# Small integer codes for per-sample arrays (0 = nothing: rest, or no contact).
TECHNIQUE_CODES = {technique: code for code, technique in enumerate(Technique, start=1)}
ZONE_CODES = {zone: code for code, zone in enumerate(Zone, start=1)}
TECHNIQUE_BY_CODE = {code: technique for technique, code in TECHNIQUE_CODES.items()}
ZONE_BY_CODE = {code: zone for zone, code in ZONE_CODES.items()}


# What each technique should look like, as data (DOMAIN.md, "signature on the sensor" and
# "Dosing"). Force is relative to the patient's target band: "band" in it, "high" in its upper half
# or above, "gentle" below it. Cadence in full cycles a minute; None for techniques held still.
@dataclass(frozen=True)
class TechniqueProfile:
    technique: Technique
    force: str  # "band" | "high" | "gentle"
    motion: str  # "along" | "across" | "still" | "squeeze" (periodic force, little travel)
    cadence_per_min: tuple[float, float] | None
    duration_s: tuple[float, float]


PROFILES = {
    # ~15-40 cycles/min (DOMAIN.md); self-paced 33 +/- 10 (Sezik 2024); 30-120 s per area.
    Technique.ROLLING: TechniqueProfile(
        Technique.ROLLING, "band", "along", (15.0, 40.0), (30.0, 120.0)
    ),
    # Slow (< ~15 cycles/min), deep pressure along the sole.
    Technique.DEEP_TISSUE: TechniqueProfile(
        Technique.DEEP_TISSUE, "high", "along", (3.0, 15.0), (30.0, 120.0)
    ),
    # Across the fascia, faster and shorter strokes than rolling: pfsense asks for 30-90 a minute.
    Technique.CROSS_FIBER_FRICTION: TechniqueProfile(
        Technique.CROSS_FIBER_FRICTION, "band", "across", (30.0, 90.0), (30.0, 120.0)
    ),
    # Gentle, sustained, little motion, long: pfsense asks for 60-180 s.
    Technique.MYOFASCIAL_RELEASE: TechniqueProfile(
        Technique.MYOFASCIAL_RELEASE, "gentle", "still", None, (60.0, 180.0)
    ),
    # Sustained pressure on one tender spot, held 15-90 s (DOMAIN.md).
    Technique.TRIGGER_POINT: TechniqueProfile(
        Technique.TRIGGER_POINT, "high", "still", None, (15.0, 90.0)
    ),
    # Calf on the ball: periodic compression (kneading), 30-120 s.
    Technique.CALF_RELEASE: TechniqueProfile(
        Technique.CALF_RELEASE, "band", "squeeze", (10.0, 40.0), (30.0, 120.0)
    ),
}
