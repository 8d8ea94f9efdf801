"""Calibration steps on simulated weights, with the refusals a user would meet."""

import numpy as np
import pytest

from pfsense.calibration.fit import (
    Placement,
    check_plate,
    counts_per_newton,
    plate_gains,
    tare,
)
from pfsense.calibration.model import Calibration
from pfsense.dsp.clean import Cleaner
from pfsense.errors import CalibrationError
from pfsense.sensors.batch import Batch
from pfsense.sim import FaultKnobs, Segment
from pfsense.sim.script import REST, WEIGHT

from .conftest import fast_sim

KG = 9.80665
W, L = 300.0, 400.0
ROUGH = 1000.0  # counts per newton guessed before calibrating: only sets the spike threshold


def cleaned_counts(layout: str, script, faults=None, seed: int = 1):
    """Raw counts of a scripted run, cleaned, with the true scale of each cell."""
    sensor = fast_sim(layout, faults or FaultKnobs(), seed=seed, script=tuple(script))
    with sensor:
        batch = Batch.concat(list(sensor))
    cleaner = Cleaner(len(sensor.channels), np.full(len(sensor.channels), ROUGH))
    rows, counts = cleaner.clean(batch)
    tail_rows, tail = cleaner.finish()
    t_s = np.concatenate([rows.t_s, tail_rows.t_s])
    return t_s, np.concatenate([counts, tail]), sensor.nominal_calibration


def window(t_s, counts, start_s, end_s):
    return counts[(t_s >= start_s) & (t_s < end_s)]


def test_single_cell_tare_and_known_weight_recover_the_true_scale():
    script = [Segment(REST, 3.0), Segment(WEIGHT, 4.0, force_n=10 * KG)]
    glitches = FaultKnobs(spike_rate=0.01, desync_rate=0.005)
    t_s, counts, truth = cleaned_counts("single", script, glitches)
    offsets = tare(window(t_s, counts, 0.5, 2.5), 80, [ROUGH], ("cell",))
    scale = counts_per_newton(window(t_s, counts, 4.0, 6.5)[:, 0], offsets[0], 10 * KG)
    assert scale == pytest.approx(truth.counts_per_n[0], rel=0.002)
    assert offsets[0] == pytest.approx(truth.offset_counts[0], abs=0.05 * truth.counts_per_n[0])


def plate_script(kg: float = 10.0):
    corners = [(-W / 2, L / 2), (W / 2, L / 2), (-W / 2, -L / 2), (W / 2, -L / 2)]
    spots = [(0.0, 0.0), *corners]
    script = [Segment(REST, 3.0)] + [
        Segment(WEIGHT, 4.0, force_n=kg * KG, x_mm=x, y_mm=y) for x, y in spots
    ]
    return script, spots


def weighed(t_s, counts, spots) -> list[Placement]:
    """Tare from the rest at the start, then each spot's change in counts (4 s a spot)."""
    offsets = np.array(
        tare(window(t_s, counts, 0.5, 2.5), 80, [ROUGH] * 4, ("fl", "fr", "rl", "rr"))
    )
    return [
        Placement(
            x, y, tuple(np.nanmean(window(t_s, counts, 3.5 + 4 * i, 6.5 + 4 * i), axis=0) - offsets)
        )
        for i, (x, y) in enumerate(spots)
    ]


@pytest.mark.parametrize("seed", [1, 2])
def test_plate_gains_from_a_weight_at_the_centre_and_the_corners(seed):
    script, spots = plate_script()
    t_s, counts, truth = cleaned_counts("plate4", script, FaultKnobs(spike_rate=0.005), seed)
    placements = weighed(t_s, counts, spots)
    scales, check = plate_gains(placements, 10 * KG, W, L)
    np.testing.assert_allclose(scales, truth.counts_per_n, rtol=0.005)
    assert check.passed
    assert max(check.position_error_mm) < 1.0


def test_the_plate_check_catches_a_wrong_gain():
    script, spots = plate_script()
    t_s, counts, truth = cleaned_counts("plate4", script)
    placements = weighed(t_s, counts, spots)
    wrong = np.array(truth.counts_per_n) * [1.0, 1.1, 1.0, 1.0]  # one cell 10 % off
    check = check_plate(placements, wrong, 10 * KG, W, L)
    assert not check.passed
    assert max(check.position_error_mm) > 3.0


def test_tare_refuses_too_short_saturated_or_moving_data():
    channels = ("cell",)
    steady = 1000.0 + np.random.default_rng(0).normal(0, 50, (100, 1))
    with pytest.raises(CalibrationError, match="needs 1 s of samples"):
        tare(steady[:40], 80, [4380.0], channels)
    saturated = steady.copy()
    saturated[:30] = np.nan
    with pytest.raises(
        CalibrationError, match="30% of the cell's samples were saturated or glitched"
    ):
        tare(saturated, 80, [4380.0], channels)
    pushed = steady + np.linspace(0, 4380.0 * 5, 100)[:, None]  # someone leaning on it
    with pytest.raises(CalibrationError, match=r"moved by .* N while taring .* keep the device"):
        tare(pushed, 80, [4380.0], channels)


def test_known_weight_refusals():
    with pytest.raises(CalibrationError, match="out of range"):
        counts_per_newton(np.full(80, 5000.0), 0.0, 0.1)
    with pytest.raises(CalibrationError, match="under 1 % of full scale"):
        counts_per_newton(np.full(80, 50_000.0), 0.0, 10.0)


def test_auto_zero_follows_drift_while_unloaded():
    from pfsense.dsp.pipeline import Processor
    from pfsense.sensors.layout import make_layout

    script = (Segment(REST, 30.0), Segment(WEIGHT, 10.0, force_n=100.0), Segment(REST, 30.0))
    sensor = fast_sim("single", script=script, drift_n_per_min=20.0)
    with sensor:
        batch = Batch.concat(list(sensor))
    processor = Processor(make_layout("single"), sensor.nominal_calibration, 80)
    rows = [processor.process(batch), processor.finish()]
    force_n = np.concatenate([r.force_n for r in rows])
    t_s = np.concatenate([r.t_s for r in rows])
    # Without re-zeroing the drift would read 20 N/min x 70 s = 23 N by the end.
    assert processor.autozero.rezeros >= 25  # every 2 s of the 60 s unloaded, bar a few
    # Between re-zeros (every 2 s) the drift adds up to 0.7 N again.
    assert abs(force_n[t_s > 65.0]).max() < 1.5
    # While loaded the zero cannot move: 20 N/min adds up to 2 N over the weight's 8 s.
    assert np.median(force_n[(t_s > 32) & (t_s < 40)]) == pytest.approx(100.0, abs=2.5)


def test_auto_zero_never_moves_while_loaded():
    from pfsense.calibration.autozero import AutoZero
    from pfsense.dsp.blocks import Blocks

    zero = AutoZero(Calibration((0.0,), (100.0,)), 0.1)
    n = 100
    loaded = Blocks(
        *(np.full(n, v) for v in (0.0, 50.0, 60.0, 0, 0, 0, 0, 0, 0)), np.full((n, 1), 5000.0)
    )
    assert zero.observe(loaded) is None
    assert zero.calibration.offset_counts == (0.0,)
