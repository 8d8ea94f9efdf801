"""Fault knobs for the simulated HX711s, and the injection that honours them.

Each knob is a rate per sample (per channel where a fault hits one chip). Faults the acquisition
side can see are flagged as a real driver would flag them (SATURATED, DESYNC, TIMEOUT, DROPPED);
faults it cannot see (spikes, all-ones reads) are left for the host's cleaning to find, and are
recorded only in the ground truth.
"""

import enum
import math
from dataclasses import dataclass, fields

import numpy as np

from pfsense.errors import ConfigError
from pfsense.sensors.adc import COUNTS_MAX, COUNTS_MIN, sign_extend_24_array
from pfsense.sensors.flags import SampleFlag


class FaultCode(enum.IntEnum):
    """What the simulator did to a sample (ground truth only)."""

    NONE = 0
    SPIKE = 1  # a bit flipped or the word shifted: a preempted bit-bang
    SATURATION = 2  # the chip sent its out-of-range code
    ALL_ONES = 3  # 0xFFFFFF or another 2**n - 1: SCK held high too long
    DESYNC = 4  # the gain pulses went wrong
    TIMEOUT = 5  # this channel is unplugged
    OVERLOAD = 6  # the real force drove the ADC out of range


@dataclass(frozen=True)
class FaultKnobs:
    """Rates are probabilities per sample (0..1). A stall stops the whole sensor (every channel)
    from `stall_at_s` for `stall_s` seconds (None: for good), or only `stall_channels` if named."""

    spike_rate: float = 0.0
    saturation_rate: float = 0.0
    all_ones_rate: float = 0.0
    desync_rate: float = 0.0
    drop_rate: float = 0.0
    stall_at_s: float | None = None
    stall_s: float | None = None
    stall_channels: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if item.name.endswith("_rate") and not (
                isinstance(value, int | float) and math.isfinite(value) and 0.0 <= value <= 1.0
            ):
                raise ConfigError(
                    f"fault knob {item.name} = {value!r}: expected a rate from 0 to 1 per sample"
                )
        for name in ("stall_at_s", "stall_s"):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and value >= 0.0):
                raise ConfigError(f"fault knob {name} = {value!r}: expected seconds >= 0")

    def is_stalled(self, t_s: np.ndarray) -> np.ndarray:
        """True for sample times inside the stall window."""
        t_s = np.asarray(t_s, dtype=float)
        if self.stall_at_s is None:
            return np.zeros(t_s.shape, bool)
        end_s = math.inf if self.stall_s is None else self.stall_at_s + self.stall_s
        return (t_s >= self.stall_at_s) & (t_s < end_s)


KNOB_NAMES = tuple(item.name for item in fields(FaultKnobs))


def parse_fault_knobs(pairs: list[str], channels: tuple[str, ...]) -> FaultKnobs:
    """Knobs from the CLI's --fault pairs, e.g. ``["spike_rate=0.01", "stall_channels=fl+rr"]``."""
    values: dict = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or key not in KNOB_NAMES:
            raise ConfigError(
                f"fault {pair!r}: expected NAME=VALUE with NAME one of {', '.join(KNOB_NAMES)}"
            )
        values[key] = _knob_value(key, text, channels)
    return FaultKnobs(**values)


def _knob_value(key: str, text: str, channels: tuple[str, ...]):
    if key == "stall_channels":
        names = tuple(text.split("+"))
        unknown = [name for name in names if name not in channels]
        if unknown:
            raise ConfigError(
                f"fault stall_channels names {unknown}: this layout has {', '.join(channels)}"
            )
        return names
    try:
        return float(text)
    except ValueError:
        raise ConfigError(f"fault {key}={text!r}: expected a number") from None


@dataclass
class Injected:
    """A chunk after fault injection (rows not yet dropped)."""

    counts: np.ndarray  # (n, ch) int32
    flags: np.ndarray  # (n, ch) uint8
    fault: np.ndarray  # (n, ch) uint8 FaultCode


class FaultInjector:
    """Applies FaultKnobs to chunks of clean counts, with its own generators so that results do not
    depend on how the stream is cut into chunks."""

    def __init__(self, knobs: FaultKnobs, channels: tuple[str, ...], seed: int) -> None:
        self.knobs = knobs
        self.channels = channels
        # One generator for where each fault strikes, another for what it does, so the draws never
        # interleave differently when the stream is cut into different chunks.
        self._where = {code: np.random.default_rng([seed, 7, code]) for code in FaultCode}
        self._what = {code: np.random.default_rng([seed, 9, code]) for code in FaultCode}
        self._drop_rng = np.random.default_rng([seed, 8])
        rates = (knobs.spike_rate, knobs.saturation_rate, knobs.all_ones_rate, knobs.desync_rate)
        self._quiet = not any(rates) and knobs.stall_at_s is None  # nothing but overload to do
        self._stall_mask = np.array(
            [knobs.stall_channels is None or name in knobs.stall_channels for name in channels]
        )

    def inject(self, t_s: np.ndarray, counts: np.ndarray) -> Injected:
        """Clip to the ADC's range, then apply each knob. `counts` is (n, ch) float."""
        n, ch = counts.shape
        values = np.rint(counts).astype(np.int64)
        flags = np.zeros((n, ch), np.uint8)
        fault = np.zeros((n, ch), np.uint8)
        over = (values > COUNTS_MAX) | (values < COUNTS_MIN)
        values = np.clip(values, COUNTS_MIN, COUNTS_MAX)
        self._mark(over, flags, fault, SampleFlag.SATURATED, FaultCode.OVERLOAD)
        if self._quiet:
            return Injected(values.astype(np.int32), flags, fault)
        self._spikes(values, fault)
        self._saturation(values, flags, fault)
        self._all_ones(values, fault)
        self._desync(values, flags, fault)
        self._channel_stall(t_s, values, flags, fault)
        return Injected(values.astype(np.int32), flags, fault)

    def dropped(self, n: int) -> np.ndarray:
        """Which of n rows are lost on the way (whole rows: the frame never arrives)."""
        if not self.knobs.drop_rate:
            return np.zeros(n, bool)
        return self._drop_rng.random(n) < self.knobs.drop_rate

    def _hits(self, code: FaultCode, rate: float, fault: np.ndarray) -> np.ndarray:
        """Where this fault strikes: at its rate, on samples no earlier fault has struck, so each
        sample carries at most one fault and the truth says which. A knob at 0 draws nothing:
        each fault has its own generator, so the others' draws do not move."""
        if not rate:
            return np.zeros(fault.shape, bool)
        return (self._where[code].random(fault.shape) < rate) & (fault == FaultCode.NONE)

    @staticmethod
    def _mark(mask, flags, fault, flag: SampleFlag | None, code: FaultCode) -> None:
        if flag is not None:
            flags[mask] |= np.uint8(flag)
        fault[mask] = code

    def _spikes(self, values, fault) -> None:
        hit = self._hits(FaultCode.SPIKE, self.knobs.spike_rate, fault)
        bits = self._what[FaultCode.SPIKE].integers(17, 23, size=int(hit.sum()))
        values[hit] = sign_extend_24_array((values[hit] & 0xFFFFFF) ^ (1 << bits))
        self._mark(hit, None, fault, None, FaultCode.SPIKE)

    def _saturation(self, values, flags, fault) -> None:
        hit = self._hits(FaultCode.SATURATION, self.knobs.saturation_rate, fault)
        high = self._what[FaultCode.SATURATION].random(int(hit.sum())) < 0.5
        values[hit] = np.where(high, COUNTS_MAX, COUNTS_MIN)
        self._mark(hit, flags, fault, SampleFlag.SATURATED, FaultCode.SATURATION)

    def _all_ones(self, values, fault) -> None:
        hit = self._hits(FaultCode.ALL_ONES, self.knobs.all_ones_rate, fault)
        ones_bits = self._what[FaultCode.ALL_ONES].integers(18, 25, size=int(hit.sum()))
        values[hit] = sign_extend_24_array((1 << ones_bits) - 1)
        self._mark(hit, None, fault, None, FaultCode.ALL_ONES)

    def _desync(self, values, flags, fault) -> None:
        hit = self._hits(FaultCode.DESYNC, self.knobs.desync_rate, fault)
        values[hit] = sign_extend_24_array((values[hit] & 0xFFFFFF) >> 1)  # bits off by one clock
        self._mark(hit, flags, fault, SampleFlag.DESYNC, FaultCode.DESYNC)

    def whole_sensor_stalled(self, t_s: np.ndarray) -> np.ndarray:
        """True for rows that never come because every channel is stalled."""
        if not self.stalls_whole_sensor:
            return np.zeros(len(t_s), bool)
        return self.knobs.is_stalled(t_s)

    def _channel_stall(self, t_s, values, flags, fault) -> None:
        if self._stall_mask.all():
            return  # the whole sensor stalls: the rows never come (see Simulation)
        hit = self.knobs.is_stalled(t_s)[:, None] & self._stall_mask[None, :]
        values[hit] = 0
        flags[hit] = np.uint8(SampleFlag.TIMEOUT)
        fault[hit] = FaultCode.TIMEOUT

    @property
    def stalls_whole_sensor(self) -> bool:
        return bool(self._stall_mask.all())
