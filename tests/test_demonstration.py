"""Target by demonstration on simulated presses whose truth is known."""

import numpy as np
import pytest

from pfsense.clinical.techniques import Technique, Zone
from pfsense.dsp.demonstration import propose_target
from pfsense.errors import DemonstrationError
from pfsense.sensors.layout import make_layout
from pfsense.sim import Segment
from pfsense.sim.script import REST

from .scenarios import run


@pytest.mark.parametrize(("layout", "seed"), [("plate4", 1), ("single", 2)])
def test_the_band_is_centred_on_the_median_force_the_therapist_pressed(layout, seed):
    script = [Segment(Technique.ROLLING, 15.0, Zone.ARCH, force_n=190.0)]
    batch, sensor = run(layout, script, seed)
    proposal = propose_target(batch, make_layout(layout), sensor.nominal_calibration, 80, 0.2)
    truth = batch.truth.force_n
    true_median_n = float(np.median(truth[truth >= 5.0]))
    assert proposal["median_force_n"] == pytest.approx(true_median_n, rel=0.01)
    low, high = proposal["band_n"]
    assert low == pytest.approx(0.8 * proposal["median_force_n"], abs=0.1)
    assert high == pytest.approx(1.2 * proposal["median_force_n"], abs=0.1)
    moving = batch.truth.cadence_per_min[batch.truth.cadence_per_min > 0]
    assert proposal["cadence_per_min"] == pytest.approx(float(np.mean(moving)), rel=0.1)
    if layout == "plate4":
        assert proposal["stroke_direction"] == "along"
        assert proposal["stroke_length_mm"] > 30


def test_the_tolerance_sets_the_width_of_the_band():
    script = [Segment(Technique.TRIGGER_POINT, 12.0, Zone.HEEL, force_n=250.0)]
    batch, sensor = run("single", script, 3)
    narrow = propose_target(batch, make_layout("single"), sensor.nominal_calibration, 80, 0.05)
    low, high = narrow["band_n"]
    assert high - low == pytest.approx(0.1 * narrow["median_force_n"], abs=0.2)
    assert narrow["median_force_n"] == pytest.approx(250.0, rel=0.05)


def test_a_demonstration_mostly_at_rest_is_refused():
    script = [Segment(REST, 8.0), Segment(Technique.ROLLING, 4.0, Zone.ARCH)]
    batch, sensor = run("single", script, 4)
    with pytest.raises(DemonstrationError, match=r"only \d+\.\d s of the 12 s demonstration"):
        propose_target(batch, make_layout("single"), sensor.nominal_calibration, 80)
