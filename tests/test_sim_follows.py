"""The simulated person does what a running routine asks (issue 13, item 3), so `make run`
shows a guided session working end to end; `--free-running` keeps to the script."""

import pytest

from pfsense.clinical.techniques import Technique, Zone
from pfsense.dsp.features import FeatureConfig
from pfsense.live.acquisition import Acquisition
from pfsense.live.hub import Hub
from pfsense.live.session import SessionPlan
from pfsense.sensors import SensorOptions, open_sensor
from pfsense.sim.script import parse_script
from pfsense.store.routines import Segment as Step

ROUTINE = (
    Step(Technique.TRIGGER_POINT, Zone.HEEL, 30.0, rest_s=5.0),
    Step(Technique.CROSS_FIBER_FRICTION, Zone.ARCH, 30.0),
)


def run_routine(follow: bool) -> list[dict]:
    options = SensorOptions(
        layout="plate4", script=parse_script("rolling:600"), realtime=False, follow_routine=follow
    )
    sensor = open_sensor("sim", options)
    sensor.batch_samples = 8  # reads of a tenth of a second, as live (not 3 s at a time)
    loop = Acquisition(sensor, Hub(), sensor.nominal_calibration, FeatureConfig(80, True), None)
    sensor.start()
    try:
        loop.sessions.start(SessionPlan(segments=ROUTINE))
        while loop.sessions.session is not None and loop._step():
            pass
        loop._step()  # the routine is over: the person rolls again
        after = loop.processor
    finally:
        sensor.close()
    return loop.sessions.last_session["report"]["segments"], after


def test_the_simulated_person_does_each_segment_of_the_routine():
    segments, _ = run_routine(follow=True)
    assert [s["detected_technique"] for s in segments] == ["trigger_point", "cross_fiber_friction"]
    assert all(s["score"]["total"] >= 70 for s in segments), [s["score"] for s in segments]


@pytest.mark.parametrize("follow", [False])
def test_free_running_keeps_to_the_script(follow):
    segments, _ = run_routine(follow)
    assert [s["detected_technique"] for s in segments] == ["rolling", "rolling"]
