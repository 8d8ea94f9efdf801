"""The live page's "now": technique and score over the recent window, from known simulator runs."""

import pytest

from pfsense.clinical.techniques import Technique, Zone
from pfsense.dsp.pipeline import Processor
from pfsense.dsp.recent import RECENT_WINDOW_S
from pfsense.dsp.report import recent_report, report
from pfsense.sensors.layout import make_layout
from pfsense.sim import FaultKnobs, Segment

from .scenarios import run

SWITCH = (
    Segment(Technique.ROLLING, 90.0, Zone.ARCH),
    Segment(Technique.CROSS_FIBER_FRICTION, 40.0, Zone.ARCH),
)


def processed(batch, sensor, pieces: int) -> Processor:
    processor = Processor(
        make_layout("plate4"),
        sensor.nominal_calibration,
        80,
        recent_window_s=RECENT_WINDOW_S,
    )
    size = -(-len(batch) // pieces)
    for start in range(0, len(batch), size):
        processor.process(batch.select(slice(start, start + size)))
    processor.finish()
    return processor


@pytest.mark.parametrize("seed", [3, 5])
def test_the_recent_window_follows_a_change_of_technique(seed):
    batch, sensor = run("plate4", SWITCH, seed=seed, faults=FaultKnobs())
    processor = processed(batch, sensor, pieces=len(batch) // 2)
    whole = report(processor, len(batch), None)
    now = recent_report(processor)
    assert whole["technique"] == Technique.ROLLING  # 90 s of rolling outweighs 40 s across
    assert now["technique"] == Technique.CROSS_FIBER_FRICTION
    assert RECENT_WINDOW_S / 2 <= now["duration_s"] <= RECENT_WINDOW_S + 0.1
    # Coverage is the session's: it builds up, it is not forgotten with the window.
    assert now["score"]["coverage"] == whole["score"]["coverage"]


def test_the_recent_window_does_not_depend_on_how_reads_cut_the_stream():
    batch, sensor = run("plate4", SWITCH[:1], seed=4)
    whole = recent_report(processed(batch, sensor, pieces=1))
    assert recent_report(processed(batch, sensor, pieces=len(batch) // 2)) == whole
    assert recent_report(processed(batch, sensor, pieces=97)) == whole


def test_no_recent_window_unless_asked():
    processor = Processor(make_layout("single"), sensor_calibration(), 80)
    assert recent_report(processor) is None


def sensor_calibration():
    from pfsense.calibration.model import Calibration

    return Calibration((0.0,), (100.0,))
