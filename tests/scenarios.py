"""Simulator scenarios with known answers, shared by the accuracy tests and benchmark."""

from dataclasses import dataclass

import numpy as np

from pfsense.calibration.fit import Placement, plate_gains, tare
from pfsense.calibration.model import Calibration
from pfsense.clinical.techniques import Technique, Zone
from pfsense.dsp import plate
from pfsense.dsp.clean import Cleaner
from pfsense.dsp.pipeline import Processed, Processor
from pfsense.sensors.batch import Batch
from pfsense.sensors.layout import make_layout
from pfsense.sensors.sim import SimSensor
from pfsense.sim import FaultKnobs, Segment, SimConfig
from pfsense.sim.script import REST, WEIGHT

GLITCHES = FaultKnobs(
    spike_rate=0.005, saturation_rate=0.002, all_ones_rate=0.002, desync_rate=0.002, drop_rate=0.005
)
KG = 9.80665
ROUGH_COUNTS_PER_N = 1000.0


def run(layout: str, script, seed: int, faults: FaultKnobs = GLITCHES) -> tuple[Batch, SimSensor]:
    config = SimConfig(
        layout=make_layout(layout), script=tuple(script), loop=False, seed=seed, faults=faults
    )
    sensor = SimSensor(config, realtime=False)
    with sensor:
        return Batch.concat(list(sensor)), sensor


def calibrate(layout: str, seed: int) -> Calibration:
    """Tare and known weights on the simulated device, the way a therapist would do it."""
    w_mm, l_mm = 300.0, 400.0
    corners = [(sx * w_mm / 2, sy * l_mm / 2) for sy in (1, -1) for sx in (-1, 1)]
    spots = [(0.0, 0.0)] + ([] if layout == "single" else corners)
    weight_n = 10 * KG
    script = [Segment(REST, 3.0)] + [
        Segment(WEIGHT, 4.0, force_n=weight_n, x_mm=x, y_mm=y) for x, y in spots
    ]
    batch, sensor = run(layout, script, seed)
    channels = len(sensor.channels)
    cleaner = Cleaner(channels, np.full(channels, ROUGH_COUNTS_PER_N))
    rows, counts = cleaner.clean(batch)
    tail_rows, tail = cleaner.finish()
    t_s, counts = np.concatenate([rows.t_s, tail_rows.t_s]), np.concatenate([counts, tail])
    offsets = np.array(
        tare(
            counts[(t_s > 0.5) & (t_s < 2.5)], 80, [ROUGH_COUNTS_PER_N] * channels, sensor.channels
        )
    )
    deltas = [
        np.nanmean(counts[(t_s > 3.5 + 4 * i) & (t_s < 6.5 + 4 * i)], axis=0) - offsets
        for i in range(len(spots))
    ]
    if layout == "single":
        scales = (float(deltas[0][0]) / weight_n,)
    else:
        placements = [Placement(x, y, tuple(d)) for (x, y), d in zip(spots, deltas, strict=True)]
        scales, _check = plate_gains(placements, weight_n, w_mm, l_mm)
    return Calibration(tuple(offsets), tuple(scales), "tare + 10 kg")


@dataclass
class Outcome:
    summary: dict
    batch: Batch
    processed: object  # pfsense.dsp.pipeline.Processed for every row

    def true_cadence_per_min(self) -> float:
        cadence = self.batch.truth.cadence_per_min
        return float(cadence[cadence > 0].mean())

    def true_mean_force_n(self) -> float:
        force = self.batch.truth.force_n
        return float(force[force >= plate.CONTACT_THRESHOLD_N].mean())


def analyse(
    layout: str, technique: Technique, seed: int, seconds: float = 120.0, calibration=None
) -> Outcome:
    zone = Zone.CALF if technique == Technique.CALF_RELEASE else None
    batch, sensor = run(layout, [Segment(technique, seconds, zone)], seed)
    processor = Processor(sensor.layout, calibration or sensor.nominal_calibration, sensor.rate_hz)
    processed = Processed.concat([processor.process(batch), processor.finish()])
    return Outcome(processor.tracker.summary(), batch, processed)


def hold(layout: str, seconds: float, seed: int) -> tuple[list[dict], float, float]:
    """A trigger-point hold between rests: the holds found, and the true start and duration
    (the time the foot pressed with 20 N or more)."""
    script = [Segment(REST, 3.0), Segment(Technique.TRIGGER_POINT, seconds), Segment(REST, 3.0)]
    batch, sensor = run(layout, script, seed)
    processor = Processor(sensor.layout, sensor.nominal_calibration, sensor.rate_hz)
    processor.process(batch)
    processor.finish()
    pressed = batch.t_s[batch.truth.force_n >= 20.0]
    return processor.tracker.summary()["holds"], float(pressed[0]), float(pressed[-1] - pressed[0])


def live_routine(options, segments, batch_samples: int | None = None) -> list[dict]:
    """A guided routine run on the live loop over an unpaced simulator (the loop is stepped
    here; no thread, no server): the routine's segment reports. `batch_samples` sets the
    simulator's read size (a tenth of a second reads as live does)."""
    from pfsense.dsp.features import FeatureConfig
    from pfsense.live.acquisition import Acquisition
    from pfsense.live.hub import Hub
    from pfsense.live.session import SessionPlan
    from pfsense.sensors import open_sensor

    sensor = open_sensor("sim", options)
    if batch_samples is not None:
        sensor.batch_samples = batch_samples
    features = FeatureConfig(sensor.rate_hz, sensor.layout.is_plate)
    loop = Acquisition(sensor, Hub(), sensor.nominal_calibration, features, None)
    sensor.start()
    try:
        loop.sessions.start(SessionPlan(segments=tuple(segments)))
        while loop.sessions.session is not None and loop._step():
            pass
    finally:
        sensor.close()
    return loop.sessions.last_session["report"]["segments"]
