"""The techniques and foot zones pfsense knows, by the names used everywhere (JSON, CSV, CLI)."""

import enum


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
