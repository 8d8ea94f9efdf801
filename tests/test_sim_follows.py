"""The simulated person does what a running routine asks (issue 13, item 3), so `make run`
shows a guided session working end to end; `--free-running` keeps to the script."""

from pfsense.clinical.techniques import Technique, Zone
from pfsense.sensors import SensorOptions
from pfsense.sim.script import parse_script
from pfsense.store.routines import Segment as Step

from .scenarios import live_routine

ROUTINE = (
    Step(Technique.TRIGGER_POINT, Zone.HEEL, 30.0, rest_s=5.0),
    Step(Technique.CROSS_FIBER_FRICTION, Zone.ARCH, 30.0),
)


def run_routine(follow: bool) -> list[dict]:
    options = SensorOptions(
        layout="plate4", script=parse_script("rolling:600"), realtime=False, follow_routine=follow
    )
    return live_routine(options, ROUTINE, batch_samples=8)  # reads of 0.1 s, as live


def test_the_simulated_person_does_each_segment_of_the_routine():
    segments = run_routine(follow=True)
    assert [s["detected_technique"] for s in segments] == ["trigger_point", "cross_fiber_friction"]
    assert all(s["score"]["total"] >= 70 for s in segments), [s["score"] for s in segments]


def test_free_running_keeps_to_the_script():
    segments = run_routine(follow=False)
    assert [s["detected_technique"] for s in segments] == ["rolling", "rolling"]
