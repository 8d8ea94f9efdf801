"""Features on hand-made arrays and on the simulator, online (any batch size) and offline alike."""

import pickle

import numpy as np
import pytest

from pfsense.clinical.techniques import Technique, Zone
from pfsense.dsp.blocks import Blocks
from pfsense.dsp.features import FeatureConfig, FeatureTracker
from pfsense.dsp.force_stats import ForceStats
from pfsense.dsp.pipeline import Processed, Processor
from pfsense.dsp.rhythm import Oscillation
from pfsense.sensors.batch import Batch
from pfsense.sim import FaultKnobs, Segment
from pfsense.sim.script import REST

from .conftest import fast_sim

GLITCHY = FaultKnobs(spike_rate=0.005, saturation_rate=0.002, desync_rate=0.002, drop_rate=0.005)
SESSION = (
    Segment(Technique.ROLLING, 40.0, Zone.ARCH),
    Segment(REST, 5.0),
    Segment(Technique.TRIGGER_POINT, 25.0, Zone.HEEL),
    Segment(Technique.CROSS_FIBER_FRICTION, 30.0, Zone.ARCH),
)


def simulated(layout: str = "plate4", script=SESSION, seed: int = 1, faults=GLITCHY):
    sensor = fast_sim(layout, faults, seed=seed, script=tuple(script))
    with sensor:
        return Batch.concat(list(sensor)), sensor


def processed(batch: Batch, sensor, piece: int | None = None):
    processor = Processor(sensor.layout, sensor.nominal_calibration, sensor.rate_hz)
    step = piece or len(batch)
    parts = [
        processor.process(batch.select(slice(s, s + step))) for s in range(0, len(batch), step)
    ]
    rows = Processed.concat([*parts, processor.finish()])
    return processor, rows


def summarise(batch: Batch, sensor, piece: int | None = None) -> dict:
    return processed(batch, sensor, piece)[0].tracker.summary()


def assert_same_numbers(online, offline, path: str = "summary") -> None:
    """Equal, but for the last digit a rounded number can change by when a sum is taken in
    another order (batch by batch, or all at once)."""
    if isinstance(online, dict):
        assert online.keys() == offline.keys(), path
        for key in online:
            assert_same_numbers(online[key], offline[key], f"{path}.{key}")
    elif isinstance(online, list | tuple):
        assert len(online) == len(offline), path
        for index, (a, b) in enumerate(zip(online, offline, strict=True)):
            assert_same_numbers(a, b, f"{path}[{index}]")
    elif isinstance(online, float) and isinstance(offline, float):
        assert online == pytest.approx(offline, rel=1e-9, abs=0.0101), path
    else:
        assert online == offline, path


@pytest.mark.parametrize("layout", ["plate4", "single"])
@pytest.mark.parametrize("piece", [1, 2, 37, 4096 + 11])
def test_online_batches_give_the_offline_numbers(layout, piece):
    """In batches of any size, down to one sample: the same rows and numbers as the whole
    recording at once."""
    batch, sensor = simulated(layout)
    online, online_rows = processed(batch, sensor, piece)
    offline, offline_rows = processed(batch, sensor)
    assert_same_numbers(online.tracker.summary(), offline.tracker.summary())
    assert online.cleaner.stats.to_dict() == offline.cleaner.stats.to_dict()
    assert online.autozero.rezeros == offline.autozero.rezeros
    for name in ("t_s", "acquired_at", "seq", "force_n", "x_mm", "y_mm"):
        np.testing.assert_allclose(
            getattr(online_rows, name), getattr(offline_rows, name), rtol=1e-12, err_msg=name
        )


def test_memory_does_not_grow_with_session_length():
    def state_bytes(minutes: float) -> int:
        script = (Segment(Technique.ROLLING, 60.0 * minutes, Zone.ARCH),)
        batch, sensor = simulated(script=script, faults=FaultKnobs())
        processor = Processor(sensor.layout, sensor.nominal_calibration, sensor.rate_hz)
        processor.process(batch)
        return len(pickle.dumps(processor))

    assert state_bytes(12.0) <= 1.05 * state_bytes(1.0)


def test_force_stats_on_known_numbers():
    stats = ForceStats((100.0, 200.0))
    stats.add(np.array([1.0, 50.0, 150.0, 150.0, 250.0, np.nan, 3.0]))
    assert stats.loaded == 4  # 1 N, 3 N and the rejected sample are not contact
    assert stats.total_n / stats.loaded == 150.0
    assert stats.peak_n == 250.0
    assert (stats.below, stats.within, stats.above) == (1, 2, 1)


def test_p95_of_a_ramp():
    stats = ForceStats((0.0, 1000.0))
    stats.add(np.linspace(10.0, 210.0, 2001))
    assert stats.histogram.quantile(0.95) == pytest.approx(200.0, abs=0.6)


def feed_sine(
    osc: Oscillation, per_min: float, amplitude: float, seconds: float, block_s: float = 0.1
):
    t = np.arange(0, seconds, block_s)
    values = amplitude * np.sin(2 * np.pi * per_min / 60 * t)
    for ti, v in zip(t, values, strict=True):
        osc.feed(ti, v, v, v)


def test_oscillation_of_a_pure_sine():
    osc = Oscillation(0.1, 8.0)
    feed_sine(osc, 30.0, 50.0, 120.0)
    assert osc.cadence_per_min() == pytest.approx(30.0, rel=0.005)
    assert osc.regularity() == pytest.approx(1.0, abs=0.02)
    assert osc.stroke() == pytest.approx(100.0, abs=1.5)


def test_oscillation_ignores_motion_inside_its_dead_band():
    osc = Oscillation(0.1, 8.0)
    feed_sine(osc, 30.0, 5.0, 60.0)
    assert osc.cycles == 0
    assert osc.cadence_per_min() is None


def blocks(force_n, x_mm, y_mm, block_s=0.1) -> Blocks:
    n = len(force_n)
    f, x, y = (np.asarray(v, dtype=float) for v in (force_n, x_mm, y_mm))
    t = np.arange(1, n + 1) * block_s
    return Blocks(t, f, f, x, y, x, x, y, y, np.zeros((n, 4)))


def test_a_hold_is_a_still_loaded_stretch_of_10_s_or_more():
    tracker = FeatureTracker(FeatureConfig(80, is_plate=True))
    still = 150  # 15 s at 10 blocks/s
    force = (
        [0.0] * 20 + [200.0] * still + [0.0] * 20 + [200.0] * 50
    )  # the second, 5 s, is too short
    x = [0.0] * len(force)
    y = [30.0] * len(force)
    tracker.add_blocks(blocks(force, x, y), 0.1)
    holds = tracker.summary()["holds"]
    assert len(holds) == 1
    assert holds[0]["duration_s"] == pytest.approx(15.0, abs=0.2)
    assert holds[0]["mean_force_n"] == 200.0
    assert holds[0]["y_mm"] == 30.0


def test_plate_coverage_maps_the_ball_onto_the_sole():
    tracker = FeatureTracker(FeatureConfig(80, is_plate=True, foot_mm=260.0))
    # Ball at plate y = 91 mm is 39 mm from the heel: the heel zone (0-78 mm).
    heel, forefoot = [91.0] * 400, [-78.0] * 200
    force = [200.0] * 600
    tracker.add_blocks(blocks(force, [0.0] * 600, heel + forefoot), 0.1)
    coverage = tracker.summary()["coverage"]
    assert coverage["zones_s"] == {"heel": 40.0, "arch": 0.0, "forefoot": 20.0}
    heat = np.array(coverage["heat_map_s"])
    assert heat.shape == (20, 8)
    assert heat.sum() == pytest.approx(60.0)
    assert coverage["fraction"] == pytest.approx(2 / 20)


def test_single_cell_coverage_comes_from_the_zone_being_worked():
    tracker = FeatureTracker(FeatureConfig(80, is_plate=False))
    assert tracker.summary()["coverage"]["fraction"] is None
    tracker.zone = Zone.ARCH
    tracker.add_blocks(blocks([200.0] * 300, [np.nan] * 300, [np.nan] * 300), 0.1)
    coverage = tracker.summary()["coverage"]
    assert coverage["zones_s"]["arch"] == pytest.approx(30.0)
    assert coverage["fraction"] == pytest.approx(1 / 3, abs=1e-3)  # one zone of three dosed


@pytest.mark.parametrize(
    ("technique", "direction"),
    [
        (Technique.ROLLING, "along"),
        (Technique.CROSS_FIBER_FRICTION, "across"),
        (Technique.TRIGGER_POINT, "none"),
    ],
)
def test_stroke_direction(technique, direction):
    batch, sensor = simulated(script=(Segment(technique, 40.0, Zone.ARCH),))
    assert summarise(batch, sensor)["stroke_direction"] == direction
