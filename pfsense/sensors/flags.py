"""Per-sample, per-channel error flags shared by every driver (and, later, the Pico's frames).

Klipper's HX71x code keeps the same idea: the acquisition side only marks what it saw; cleaning and
calibration on the host decide what to do with it.
"""

import enum

import numpy as np


class SampleFlag(enum.IntFlag):
    """Bits of a sample's `flags` value. 0 means a clean read."""

    SATURATED = 1  # the ADC returned 0x7FFFFF or 0x800000: the input is out of range
    DESYNC = 2  # DOUT was not high after the gain pulses: the bits may be shifted
    TIMEOUT = 4  # DOUT never went low: this channel gave no conversion (unplugged, unpowered)
    DROPPED = 8  # one or more samples before this one were lost (the seq gap says how many)


ALL_FLAGS = int(SampleFlag.SATURATED | SampleFlag.DESYNC | SampleFlag.TIMEOUT | SampleFlag.DROPPED)

FLAGS_DTYPE = np.uint8


def flag_names(value: int) -> list[str]:
    """Names of the bits set in `value`.

    >>> flag_names(5)
    ['SATURATED', 'TIMEOUT']
    """
    return [flag.name for flag in SampleFlag if value & flag and flag.name]
