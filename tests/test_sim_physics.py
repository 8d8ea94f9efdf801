"""The simulator's physics against its own ground truth, and against the datasheet."""

import numpy as np
import pytest

from pfsense.clinical import doses
from pfsense.clinical.techniques import TECHNIQUE_CODES, ZONE_CODES, Technique, Zone
from pfsense.dsp import plate
from pfsense.sensors.batch import Batch
from pfsense.sim import Segment, SimConfig, Simulation, Variability
from pfsense.sim.hx711 import HX711Model
from pfsense.sim.script import REST

from .conftest import fast_sim, sim_config

STEADY = Variability(cadence_drift=0.0, force_wobble=0.0, stroke_wobble=0.0, pauses_per_min=0.0)


def run(sensor) -> Batch:
    with sensor:
        return Batch.concat(list(sensor))


def dominant_per_min(signal: np.ndarray, rate_hz: float) -> float:
    """Frequency of the largest spectral peak, in cycles per minute."""
    spectrum = np.abs(np.fft.rfft(signal - signal.mean()))
    freqs_hz = np.fft.rfftfreq(len(signal), 1.0 / rate_hz)
    return float(freqs_hz[np.argmax(spectrum[1:]) + 1] * 60.0)


def steady_middle(batch: Batch, trim_s: float = 2.0) -> Batch:
    t = batch.t_s
    return batch.select((t > t[0] + trim_s) & (t < t[-1] - trim_s))


@pytest.mark.parametrize(("rate_hz", "noise_nv"), [(10, 50.0), (80, 90.0)])
def test_noise_matches_the_datasheet(rate_hz, noise_nv):
    config = sim_config(
        "single", rate_hz=rate_hz, script=(Segment(REST, 600.0),), drift_n_per_min=0.0
    )
    batch = run(fast_sim_from(config))
    lsb_v = 0.5 * 3.3 / 128 / 2**23
    expected_counts = noise_nv * 1e-9 / lsb_v
    assert batch.counts[:, 0].std() == pytest.approx(expected_counts, rel=0.06)


def fast_sim_from(config: SimConfig):
    from pfsense.sensors.sim import SimSensor

    return SimSensor(config, realtime=False)


def test_counts_per_newton_follows_the_bridge_and_adc_scale():
    # 1 mV/V at 50 kg: counts/N = 1e-3 * 2 * 128 * 2**23 / (50 * 9.80665)
    assert HX711Model().counts_per_n == pytest.approx(4379.65, abs=0.01)


@pytest.mark.parametrize("layout", ["single", "plate4"])
def test_calibrated_counts_give_back_the_true_force(layout):
    batch = run(fast_sim(layout, drift_n_per_min=0.0))
    sensor_cal = fast_sim(layout).nominal_calibration
    cell_force_n = sensor_cal.force_n(batch.counts)
    residual_n = cell_force_n - batch.truth.cell_force_n
    noise_n = HX711Model().noise_counts_rms / HX711Model().counts_per_n
    assert abs(residual_n.mean()) < 0.01
    assert residual_n.std() == pytest.approx(noise_n, rel=0.1)
    np.testing.assert_allclose(cell_force_n.sum(axis=1), batch.truth.force_n, atol=8 * noise_n * 2)


def test_centre_of_pressure_from_counts_is_the_true_ball_position():
    batch = run(fast_sim("plate4", noise_scale=0.0, drift_n_per_min=0.0))
    calibration = fast_sim("plate4").nominal_calibration
    _force_n, x_mm, y_mm = plate.centre_of_pressure_mm(
        calibration.force_n(batch.counts), 300.0, 400.0
    )
    loaded = batch.truth.force_n > 50.0
    assert loaded.sum() > 4000
    np.testing.assert_allclose(x_mm[loaded], batch.truth.x_mm[loaded], atol=0.2)
    np.testing.assert_allclose(y_mm[loaded], batch.truth.y_mm[loaded], atol=0.2)


def segment_truth(technique: Technique, zone: Zone | None = None, **fields) -> Batch:
    script = (Segment(technique, 60.0, zone, **fields),)
    return steady_middle(run(fast_sim("plate4", script=script, noise_scale=0.0)))


def test_rolling_is_periodic_along_the_foot_at_the_self_paced_cadence():
    batch = segment_truth(Technique.ROLLING)
    truth = batch.truth
    assert truth.y_mm.std() > 4 * truth.x_mm.std()
    assert dominant_per_min(truth.y_mm, 80) == pytest.approx(
        doses.SELF_PACED_CADENCE_PER_MIN, rel=0.15
    )
    assert np.median(truth.force_n) == pytest.approx(doses.rolling_force_n(), rel=0.1)
    assert np.all(truth.technique_code == TECHNIQUE_CODES[Technique.ROLLING])


def test_deep_tissue_is_slower_and_harder_than_rolling():
    deep = segment_truth(Technique.DEEP_TISSUE).truth
    assert dominant_per_min(deep.y_mm, 80) < 15.0
    assert np.median(deep.force_n) > 1.2 * doses.rolling_force_n()


def test_cross_fiber_friction_oscillates_across_the_foot_with_short_fast_strokes():
    truth = segment_truth(Technique.CROSS_FIBER_FRICTION).truth
    assert truth.x_mm.std() > 2 * truth.y_mm.std()
    assert dominant_per_min(truth.x_mm, 80) > doses.SELF_PACED_CADENCE_PER_MIN
    assert np.ptp(truth.x_mm) < 60.0


@pytest.mark.parametrize("technique", [Technique.TRIGGER_POINT, Technique.MYOFASCIAL_RELEASE])
def test_holds_barely_move(technique):
    truth = segment_truth(technique).truth
    assert truth.x_mm.std() < 6.0
    assert truth.y_mm.std() < 6.0


def test_trigger_point_presses_harder_than_myofascial_release():
    trigger = np.median(segment_truth(Technique.TRIGGER_POINT).truth.force_n)
    release = np.median(segment_truth(Technique.MYOFASCIAL_RELEASE).truth.force_n)
    assert trigger > 2 * release
    assert release < 0.6 * doses.rolling_force_n()


def test_calf_release_is_periodic_compression_on_the_calf():
    truth = segment_truth(Technique.CALF_RELEASE).truth
    assert np.all(truth.zone_code == ZONE_CODES[Zone.CALF])
    assert dominant_per_min(truth.force_n, 80) == pytest.approx(20.0, rel=0.15)
    assert np.ptp(truth.force_n) > 0.5 * truth.force_n.max()


def test_a_scripted_segment_gets_the_force_cadence_and_stroke_it_asks_for():
    script = (
        Segment(
            Technique.ROLLING, 60.0, Zone.ARCH, force_n=150.0, cadence_per_min=20.0, stroke_mm=100.0
        ),
    )
    batch = steady_middle(
        run(fast_sim("plate4", script=script, noise_scale=0.0, variability=STEADY))
    )
    truth = batch.truth
    assert np.mean(truth.force_n) == pytest.approx(150.0, rel=0.03)
    assert dominant_per_min(truth.y_mm, 80) == pytest.approx(20.0, abs=1.0)
    assert np.ptp(truth.y_mm) == pytest.approx(100.0, rel=0.03)


def test_zones_follow_the_ball_on_the_sole():
    for zone in (Zone.HEEL, Zone.ARCH, Zone.FOREFOOT):
        truth = segment_truth(Technique.ROLLING, zone, stroke_mm=40.0).truth
        share = np.mean(truth.zone_code == ZONE_CODES[zone])
        assert share > 0.9, f"{zone}: only {share:.0%} of samples in the zone"


def test_human_variability_is_seeded():
    a = run(fast_sim("plate4", seed=5)).counts
    b = run(fast_sim("plate4", seed=5)).counts
    c = run(fast_sim("plate4", seed=6)).counts
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_cadence_drift_and_pauses_change_the_rhythm():
    script = (Segment(Technique.ROLLING, 120.0, Zone.ARCH),)
    steady = run(fast_sim("plate4", script=script, noise_scale=0.0, variability=STEADY)).truth
    human = run(
        fast_sim(
            "plate4", script=script, noise_scale=0.0, variability=Variability(pauses_per_min=3.0)
        )
    ).truth

    # Count cycles by upward zero crossings of the travel: a steady foot is exact.
    def cycles(y):
        centred = y - np.median(y)
        return np.count_nonzero((centred[:-1] < 0) & (centred[1:] >= 0))

    assert cycles(steady.y_mm) == pytest.approx(66, abs=1)  # 33/min for 2 min
    assert cycles(human.y_mm) != cycles(steady.y_mm)


def test_output_does_not_depend_on_how_the_stream_is_cut():
    from pfsense.sensors.sim import SimSensor
    from pfsense.sim import FaultKnobs

    config = sim_config(
        "plate4", faults=FaultKnobs(spike_rate=0.01, drop_rate=0.01, desync_rate=0.01)
    )
    whole = run(SimSensor(config, realtime=False, batch_samples=4096))
    pieces = run(SimSensor(config, realtime=False, batch_samples=7))
    np.testing.assert_array_equal(whole.counts, pieces.counts)
    np.testing.assert_array_equal(whole.flags, pieces.flags)
    np.testing.assert_array_equal(whole.seq, pieces.seq)


def test_script_runs_in_order_and_ends_when_not_looping():
    script = (
        Segment(Technique.ROLLING, 5.0),
        Segment(REST, 2.0),
        Segment(Technique.TRIGGER_POINT, 3.0),
    )
    truth = run(fast_sim("single", script=script)).truth
    assert len(truth.force_n) == 10 * 80
    codes = truth.technique_code
    assert np.all(codes[:400] == TECHNIQUE_CODES[Technique.ROLLING])
    assert np.all(codes[400:560] == 0)
    assert np.all(truth.force_n[400:560] == 0)
    assert np.all(codes[560:] == TECHNIQUE_CODES[Technique.TRIGGER_POINT])


def test_looping_script_repeats_past_its_end():
    sim = Simulation(sim_config("single", script=(Segment(Technique.ROLLING, 1.0),), loop=True))
    rows = sim.next_rows(5 * 80)
    assert len(rows.t_s) == 400
    assert not sim.ended
    assert set(rows.truth.segment_index.tolist()) == {0, 1, 2, 3, 4}


def test_seq_wraps_at_16_bits():
    sim = Simulation(sim_config("single", script=(Segment(Technique.ROLLING, 1000.0),)))
    rows = sim.next_rows(70_000)
    assert rows.seq[65535] == 65535
    assert rows.seq[65536] == 0
    assert rows.seq[-1] == 70_000 - 65536 - 1


def test_zero_drift_moves_the_unloaded_reading_as_configured():
    config = sim_config(
        "single", script=(Segment(REST, 120.0),), drift_n_per_min=6.0, noise_scale=0.0
    )
    sensor = fast_sim_from(config)
    batch = run(sensor)
    force_n = sensor.nominal_calibration.force_n(batch.counts)[:, 0]
    assert abs(force_n[-1] - force_n[0]) == pytest.approx(12.0, rel=0.01)  # 6 N/min for 2 min


def test_creep_approaches_its_fraction_of_a_held_load():
    hold = (Segment(Technique.MYOFASCIAL_RELEASE, 600.0, force_n=200.0),)
    config = sim_config(
        "single",
        script=hold,
        creep_fraction=0.01,
        drift_n_per_min=0.0,
        noise_scale=0.0,
        variability=STEADY,
    )
    sensor = fast_sim_from(config)
    batch = run(sensor)
    excess_n = (
        sensor.nominal_calibration.force_n(batch.counts)[:, 0] - batch.truth.cell_force_n[:, 0]
    )
    # After 5 time constants (120 s each) the creep has all but reached 1 % of the ~200 N held.
    late = (batch.t_s > 590.0) & (batch.t_s < 598.0)
    held_n = np.mean(
        batch.truth.force_n[(batch.t_s > 1.0) & (batch.t_s < 598.0)]
    )  # slow wobble averaged
    assert np.mean(excess_n[late]) / held_n == pytest.approx(0.01, rel=0.05)
    assert abs(excess_n[batch.t_s < 5.0]).max() < 0.1
