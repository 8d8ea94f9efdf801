"""Facts of the HX711's 24-bit two's-complement output (see shared HARDWARE_FACTS.md)."""

import numpy as np

COUNTS_MAX = 0x7FFFFF  # the code the HX711 returns when the input is above range
COUNTS_MIN = -0x800000  # ... and below range
COUNTS_DTYPE = np.int32


def sign_extend_24(raw: int) -> int:
    """A raw 24-bit reading as a signed int. The adafruit driver ORs in 0xFF000000 instead,
    which turns -1 into 4294967295.

    >>> sign_extend_24(0xFFFFFF), sign_extend_24(0x800000), sign_extend_24(0x7FFFFF)
    (-1, -8388608, 8388607)
    """
    raw &= 0xFFFFFF
    return raw - (1 << 24) if raw & 0x800000 else raw


def sign_extend_24_array(raw: np.ndarray) -> np.ndarray:
    """Vector form of :func:`sign_extend_24`."""
    raw = np.asarray(raw, dtype=np.int64) & 0xFFFFFF
    return np.where(raw & 0x800000, raw - (1 << 24), raw).astype(COUNTS_DTYPE)


def is_saturation_code(counts: np.ndarray) -> np.ndarray:
    """True where a reading is one of the two codes the HX711 uses for out of range."""
    counts = np.asarray(counts)
    return (counts == COUNTS_MAX) | (counts == COUNTS_MIN)
