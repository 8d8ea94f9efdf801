"""`pfsense sensors --diagnose`: read a sensor for a while and say what is wrong with it."""

import time
from dataclasses import dataclass, field

import numpy as np

from pfsense.errors import SensorTimeout
from pfsense.sensors.adc import is_saturation_code
from pfsense.sensors.base import Sensor
from pfsense.sensors.batch import Batch, seq_gaps
from pfsense.sensors.flags import SampleFlag


@dataclass
class Diagnosis:
    sensor: str
    channels: tuple[str, ...]
    seconds: float
    samples: int = 0
    achieved_rate_hz: float = 0.0
    nominal_rate_hz: float = 0.0
    lost_samples: int = 0
    timeouts: int = 0
    flagged: dict = field(default_factory=dict)
    glitch_rate: float = 0.0  # readings flagged or thrown away by the driver, per reading
    discarded_reads: int = 0  # gpio: reads thrown away for an SCK-high phase over 50 us
    per_channel: dict = field(default_factory=dict)
    problems: list = field(default_factory=list)


def diagnose(sensor: Sensor, seconds: float) -> Diagnosis:
    """Read `sensor` for `seconds` of its own time and summarise what came."""
    report = Diagnosis(sensor.name, sensor.channels, seconds, nominal_rate_hz=sensor.rate_hz)
    batches = []
    with sensor:
        started = time.monotonic()
        first_t_s = None
        while time.monotonic() - started < seconds + 2.0:
            try:
                batch = sensor.read()
            except SensorTimeout:
                report.timeouts += 1
                continue
            if batch is None:
                break
            batches.append(batch)
            first_t_s = batch.t_s[0] if first_t_s is None else first_t_s
            if batch.t_s[-1] - first_t_s >= seconds:
                break
    report.discarded_reads = int(sensor.describe().get("discarded_reads", 0))
    if batches:
        _summarise(report, Batch.concat(batches))
    else:
        report.problems.append("no samples at all: check power, wiring and the sensor name")
    return report


def _summarise(report: Diagnosis, batch: Batch) -> None:
    report.samples = len(batch)
    span_s = float(batch.t_s[-1] - batch.t_s[0])
    report.achieved_rate_hz = (len(batch) - 1) / span_s if span_s > 0 else 0.0
    report.lost_samples = int(seq_gaps(batch.seq).sum())
    for flag in SampleFlag:
        report.flagged[flag.name] = int(np.count_nonzero(batch.flags & flag))
    readings = batch.counts.size + report.discarded_reads
    glitches = int(np.count_nonzero(batch.flags)) + report.discarded_reads
    report.glitch_rate = glitches / readings if readings else 0.0
    for index, name in enumerate(report.channels):
        counts = batch.counts[:, index]
        unique = len(np.unique(counts))
        report.per_channel[name] = {
            "mean_counts": float(counts.mean()),
            "sd_counts": float(counts.std()),
            "unique_values": unique,
            "saturation_codes": int(is_saturation_code(counts).sum()),
            "all_ones": int(np.count_nonzero(counts == -1)),
        }
        if unique == 1:
            report.problems.append(
                f"{name}: one unique value ({counts[0]}) means a wiring fault "
                "(DOUT stuck, or no load cell)"
            )
    if report.timeouts:
        report.problems.append(f"{report.timeouts} read(s) timed out: the sensor stalled")
    if report.achieved_rate_hz and report.achieved_rate_hz < 0.9 * report.nominal_rate_hz:
        report.problems.append(
            f"achieved {report.achieved_rate_hz:.1f} samples/s, "
            f"below the nominal {report.nominal_rate_hz:g}"
        )


def format_report(report: Diagnosis) -> str:
    lines = [
        f"sensor {report.sensor}: {report.samples} samples in {report.seconds:g} s",
        f"  rate: {report.achieved_rate_hz:.1f} samples/s achieved, "
        f"{report.nominal_rate_hz:g} nominal",
        f"  lost samples (sequence gaps): {report.lost_samples}; read timeouts: {report.timeouts}",
        "  flagged: " + (", ".join(f"{k} {v}" for k, v in report.flagged.items() if v) or "none"),
        f"  glitch rate: {100 * report.glitch_rate:.2f} % of readings flagged or thrown away "
        f"({report.discarded_reads} thrown away by the driver)",
    ]
    for name, stats in report.per_channel.items():
        lines.append(
            f"  {name}: mean {stats['mean_counts']:.0f} counts, sd {stats['sd_counts']:.1f}, "
            f"{stats['unique_values']} unique values, "
            f"{stats['saturation_codes']} saturation codes, {stats['all_ones']} all-ones"
        )
    lines += [f"  PROBLEM: {problem}" for problem in report.problems] or ["  no problems found"]
    return "\n".join(lines)
