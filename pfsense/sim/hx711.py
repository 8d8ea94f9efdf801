"""An HX711 reading one load cell: offset, gain, datasheet noise, drift and creep.

Counts follow the datasheet's scale: at gain 128 the full differential input range of
+/-0.5 * AVDD / 128 maps onto +/-2**23 counts. A load cell of sensitivity S (V/V) at capacity C (N)
gives S * AVDD * F / C volts, so counts per newton = S * 2 * 128 * 2**23 / C, whatever AVDD is.
"""

from dataclasses import dataclass

import numpy as np

from pfsense.errors import ConfigError

GAIN = 128
FULL_SCALE_COUNTS = 2**23

# Datasheet input-referred noise at gain 128 (HX711 datasheet, "Input noise"): 50 nV rms at
# 10 SPS, 90 nV rms at 80 SPS.
INPUT_NOISE_NV_RMS = {10: 50.0, 80: 90.0}
SUPPORTED_RATES_HZ = tuple(INPUT_NOISE_NV_RMS)


@dataclass(frozen=True)
class HX711Model:
    """One HX711 and its load cell. Defaults: a 50 kg, 1 mV/V bar cell at 3.3 V (Pi or Pico)."""

    rate_hz: int = 80
    avdd_v: float = 3.3
    cell_capacity_n: float = 50.0 * 9.80665
    cell_sensitivity_mv_per_v: float = 1.0
    offset_counts: float = 0.0
    drift_counts_per_s: float = 0.0  # slow zero drift (warm-up, temperature)
    creep_fraction: float = 0.0  # load cell creep: extra reading as a fraction of the held load
    creep_tau_s: float = 120.0
    noise_scale: float = 1.0  # 1 = the datasheet's noise; 0 = noiseless, for exact tests

    def __post_init__(self) -> None:
        if self.rate_hz not in SUPPORTED_RATES_HZ:
            raise ConfigError(
                f"HX711 rate {self.rate_hz!r} SPS is not supported: "
                "expected 10 or 80 (the RATE pin)"
            )
        if self.cell_capacity_n <= 0 or self.cell_sensitivity_mv_per_v <= 0 or self.avdd_v <= 0:
            raise ConfigError("load cell capacity, sensitivity and AVDD must be positive")

    @property
    def counts_per_n(self) -> float:
        return (
            self.cell_sensitivity_mv_per_v
            * 1e-3
            * 2
            * GAIN
            * FULL_SCALE_COUNTS
            / self.cell_capacity_n
        )

    @property
    def lsb_v(self) -> float:
        return 0.5 * self.avdd_v / GAIN / FULL_SCALE_COUNTS

    @property
    def noise_counts_rms(self) -> float:
        return self.noise_scale * INPUT_NOISE_NV_RMS[self.rate_hz] * 1e-9 / self.lsb_v

    def counts(
        self, t_s: np.ndarray, force_n: np.ndarray, rng: np.random.Generator, creep_n: float = 0.0
    ) -> tuple[np.ndarray, np.ndarray, float]:
        """Ideal (noise-free, unclipped) and noisy counts for the force on the cell at times t_s.

        `creep_n` carries the creep state from the previous call; the new state is returned third.
        """
        creep = self._creep_n(np.asarray(force_n, dtype=float), creep_n)
        ideal = (
            self.offset_counts
            + self.counts_per_n * (force_n + creep)
            + self.drift_counts_per_s * t_s
        )
        noisy = ideal + self.noise_counts_rms * rng.standard_normal(len(t_s))
        return ideal, noisy, float(creep[-1]) if len(creep) else creep_n

    def _creep_n(self, force_n: np.ndarray, state_n: float) -> np.ndarray:
        """First-order approach of the reading to creep_fraction * held force (time constant
        creep_tau_s)."""
        if self.creep_fraction == 0.0:
            return np.zeros(len(force_n))
        alpha = np.exp(-1.0 / (self.rate_hz * self.creep_tau_s))
        out = np.empty(len(force_n))
        # A per-sample recurrence: numpy has no first-order IIR filter, and batches are small.
        for i, target_n in enumerate(self.creep_fraction * force_n):
            state_n = alpha * state_n + (1.0 - alpha) * target_n
            out[i] = state_n
        return out
