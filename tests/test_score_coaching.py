"""`score` and `coaching` on feature summaries written by hand, each answer worked out by hand
from the rules in pfsense.dsp.technique: every branch, and the contradictions issue 11 found."""

import numpy as np
import pytest

from pfsense.clinical.techniques import Technique
from pfsense.dsp.technique import coaching, score


def summary(**changes) -> dict:
    """Rolling for 60 s, all of it in the band, at 30 cycles/min, regular; every zone covered."""
    base = {
        "loaded_s": 60.0,
        "time_in_band_fraction": 1.0,
        "time_below_band_fraction": 0.0,
        "time_above_band_fraction": 0.0,
        "cadence_per_min": 30.0,
        "recent_cadence_per_min": None,
        "rhythm_regularity": 0.9,
        "holds": [],
        "coverage": coverage({"heel": 40.0, "arch": 40.0, "forefoot": 40.0}),
    }
    return {**base, **changes}


def coverage(zones_s: dict, asked=None, zone_now=None) -> dict:
    return {
        "fraction": 1.0,
        "zones_s": zones_s,
        "asked_zones": list(asked or zones_s),
        "zone_now": zone_now,
    }


# score: pressure = 100 * (in band - 0.5 * above), held to 0..100


@pytest.mark.parametrize(
    ("within", "above", "pressure"),
    [(1.0, 0.0, 100.0), (0.6, 0.4, 40.0), (0.2, 0.8, 0.0), (0.5, 0.0, 50.0)],
)
def test_pressure_is_time_in_band_less_half_the_time_above(within, above, pressure):
    parts = summary(time_in_band_fraction=within, time_above_band_fraction=above)
    assert score(parts, Technique.ROLLING)["pressure"] == pressure


def test_rhythm_is_pace_times_steadiness():
    # 30 /min in rolling's 15-40: pace 1; regularity 0.9: steadiness 0.5 + 0.45 = 0.95.
    assert score(summary(), Technique.ROLLING)["rhythm"] == 95.0
    # 10 /min: 5 below 15, pace 1 - 5 / 7.5 = 1/3; regularity 0: steadiness 0.5 -> 16.7.
    slow = summary(cadence_per_min=10.0, rhythm_regularity=0.0)
    assert score(slow, Technique.ROLLING)["rhythm"] == 16.7
    # No cadence measured for a rhythmic technique: 0.
    assert score(summary(cadence_per_min=None), Technique.ROLLING)["rhythm"] == 0.0
    # A therapist's own range, 20-25: 30 is 5 over, pace 1 - 5 / 10 = 0.5; x 0.95 = 47.5.
    assert score(summary(), Technique.ROLLING, (20.0, 25.0))["rhythm"] == 47.5


def test_a_hold_technique_scores_rhythm_by_the_time_held():
    held = summary(holds=[{"duration_s": 45.0}], cadence_per_min=None)
    assert score(held, Technique.TRIGGER_POINT)["rhythm"] == 75.0  # 45 of 60 s


def test_coverage_is_judged_on_the_zones_asked_for():
    # A routine's single-cell segment on the heel: 60 s in band on the heel is all it asks.
    heel_only = coverage({"heel": 60.0, "arch": 0.0, "forefoot": 0.0}, asked=["heel"])
    assert score(summary(coverage=heel_only), Technique.ROLLING)["coverage"] == 100.0
    # A free session asks for all three: heel full, arch half (15 of 30 s), forefoot none.
    free = coverage({"heel": 60.0, "arch": 15.0, "forefoot": 0.0})
    assert score(summary(coverage=free), Technique.ROLLING)["coverage"] == 50.0
    # Calf release is not on the sole.
    assert score(summary(coverage=free), Technique.CALF_RELEASE)["coverage"] is None


def test_the_total_weighs_the_parts_present():
    parts = summary(time_in_band_fraction=0.5, coverage={**coverage({}), "fraction": None})
    # pressure 50 (weight 0.4), rhythm 95 (0.3), coverage not measured: (20 + 28.5) / 0.7.
    assert score(parts, Technique.ROLLING)["total"] == 69.3
    assert score(summary(), None) == {
        "total": 100.0,  # pressure and coverage only: no technique, no rhythm to judge
        "pressure": 100.0,
        "rhythm": None,
        "coverage": 100.0,
    }


# coaching: over-pressure first, then pace or steadiness, then a zone not yet covered


def test_good_work_is_told_to_keep_going():
    assert coaching(summary(), Technique.ROLLING) == ["good technique"]


def test_too_hard_comes_first_and_too_soft_is_said_only_without_it():
    assert coaching(summary(time_above_band_fraction=0.2), Technique.ROLLING)[0] == (
        "too hard too often"
    )
    both = summary(time_above_band_fraction=0.2, time_below_band_fraction=0.5)
    assert "too light too often" not in coaching(both, Technique.ROLLING)
    assert coaching(summary(time_below_band_fraction=0.5), Technique.ROLLING) == [
        "too light too often"
    ]


@pytest.mark.parametrize(
    ("cadence", "regularity", "tip"),
    [(50.0, 0.9, "slow down"), (10.0, 0.9, "a little faster"), (30.0, 0.3, "keep a steady rhythm")],
)
def test_pace_and_steadiness(cadence, regularity, tip):
    parts = summary(cadence_per_min=cadence, rhythm_regularity=regularity)
    assert coaching(parts, Technique.ROLLING) == [tip]


def test_the_least_regular_rhythm_of_all_gets_the_tip():
    # Regularity 0.0 was read as "unknown" (`regularity or 1.0`) and got no tip.
    assert coaching(summary(rhythm_regularity=0.0), Technique.ROLLING) == ["keep a steady rhythm"]
    assert coaching(summary(rhythm_regularity=None), Technique.ROLLING) == ["good technique"]


def test_the_recent_cadence_is_coached_before_the_sessions():
    parts = summary(cadence_per_min=30.0, recent_cadence_per_min=50.0)
    assert coaching(parts, Technique.ROLLING) == ["slow down"]


def test_a_zone_not_asked_for_is_never_said_to_be_missing():
    heel_only = coverage({"heel": 10.0, "arch": 0.0, "forefoot": 0.0}, asked=["heel"])
    tips = coaching(summary(coverage=heel_only), Technique.ROLLING)
    assert tips == ["heel not covered yet"]  # 10 of 30 s, and not being worked now


def test_the_zone_being_worked_is_not_said_to_be_missing():
    working_heel = coverage({"heel": 10.0, "arch": 0.0, "forefoot": 40.0}, zone_now="heel")
    assert coaching(summary(coverage=working_heel), Technique.ROLLING) == ["arch not covered yet"]
    only_heel_asked = coverage({"heel": 10.0, "arch": 0, "forefoot": 0}, ["heel"], "heel")
    assert coaching(summary(coverage=only_heel_asked), Technique.ROLLING) == ["good technique"]


def test_a_stroke_over_two_zones_is_working_both():
    # Rolling the heel with long strokes: the last sample fell on the arch, but the heel was
    # worked within the last stroke, so it is not "not covered yet" while it is being covered.
    sweeping = {**coverage({"heel": 10.0, "arch": 5.0, "forefoot": 40.0}, zone_now="arch")}
    sweeping["zones_now"] = ["heel", "arch"]
    assert coaching(summary(coverage=sweeping), Technique.ROLLING) == ["good technique"]


def _blocks(y_mm: np.ndarray):
    """Blocks of 200 ms with the ball at plate y (positive towards the heel), at 200 N."""
    from pfsense.dsp.blocks import Blocks

    n = len(y_mm)
    same = dict(force_n=np.full(n, 200.0), force_max_n=np.full(n, 200.0), x_mm=np.zeros(n))
    ranges = dict(x_min_mm=np.zeros(n), x_max_mm=np.zeros(n), y_min_mm=y_mm, y_max_mm=y_mm)
    return Blocks(t_s=np.arange(n) * 0.2, y_mm=y_mm, counts=np.zeros((n, 4)), **same, **ranges)


def test_coverage_names_every_zone_of_the_last_stroke():
    from pfsense.dsp.coverage import SOLE_ZONES, Coverage

    foot_mm = 260.0
    cover = Coverage(True, (100.0, 300.0), foot_mm, SOLE_ZONES)
    heel_then_forefoot = np.r_[np.full(10, 0.35 * foot_mm), np.full(10, -0.3 * foot_mm)]
    cover.add_blocks(_blocks(heel_then_forefoot), np.ones(20, bool), 0.2)  # 2 s each
    assert cover.summary()["zone_now"] == "forefoot"
    assert set(cover.summary()["zones_now"]) == {"heel", "forefoot"}
    # Six seconds more on the forefoot: the heel's last work is more than a stroke (4 s) ago.
    cover.add_blocks(_blocks(np.full(30, -0.3 * foot_mm)), np.ones(30, bool), 0.2)
    assert cover.summary()["zones_now"] == ["forefoot"]


def test_at_most_two_tips_with_over_pressure_first():
    parts = summary(
        time_above_band_fraction=0.3,
        cadence_per_min=50.0,
        coverage=coverage({"heel": 0.0, "arch": 0.0, "forefoot": 0.0}),
    )
    assert coaching(parts, Technique.ROLLING) == ["too hard too often", "slow down"]


def heel_report(tmp_path, seconds: float) -> dict:
    """`analyze --zone heel` of the simulator's single cell rolling on the heel for `seconds`."""
    from pfsense.clinical.techniques import Zone
    from pfsense.dsp.report import analyze
    from pfsense.sensors.recording import RecordingWriter, read_recording
    from pfsense.sim import Segment

    from .scenarios import run

    batch, sensor = run("single", [Segment("rolling", seconds, zone="heel")], seed=4)
    path = tmp_path / "heel.csv"
    with RecordingWriter(path, sensor.layout, 80, sensor.nominal_calibration, "sim") as writer:
        writer.write(batch)
    return analyze(read_recording(path), zone=Zone.HEEL)


def test_a_single_cell_minute_on_the_heel_in_band_is_fully_covered(tmp_path):
    # End to end: the simulator's single cell, rolling on the heel for 60 s in the band.
    report = heel_report(tmp_path, 60.0)
    assert report["time_in_band_fraction"] > 0.8
    assert report["score"]["coverage"] == 100.0  # was 33: judged on all three zones
    assert not any("not covered" in tip for tip in report["coaching"])


def test_a_report_looks_back_over_the_whole_and_names_a_zone_barely_worked(tmp_path):
    # 10 s on the heel, the last thing done: live, the heel under the foot is not "missing",
    # but the session's report says it was not covered (10 of its 30 s).
    report = heel_report(tmp_path, 10.0)
    assert "heel not covered yet" in report["coaching"]
