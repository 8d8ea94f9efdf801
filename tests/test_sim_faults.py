"""Each fault knob produces the samples it claims, flagged the way a real driver would flag them."""

import time

import numpy as np
import pytest

from pfsense.clinical.techniques import Technique
from pfsense.errors import ConfigError, SensorTimeout
from pfsense.sensors import SensorOptions, open_sensor
from pfsense.sensors.adc import COUNTS_MAX, COUNTS_MIN
from pfsense.sensors.batch import Batch, seq_gaps
from pfsense.sensors.flags import SampleFlag
from pfsense.sim import FaultCode, FaultKnobs, Segment
from pfsense.sim.faults import parse_fault_knobs

from .conftest import fast_sim

RATE = 0.02
SAMPLES = 60 * 80 * 4  # one minute of plate4


def run(faults: FaultKnobs, layout: str = "plate4", **overrides) -> Batch:
    with fast_sim(layout, faults, **overrides) as sensor:
        return Batch.concat(list(sensor))


def assert_rate(hits: int, trials: int, rate: float) -> None:
    """Within 5 standard deviations of the binomial expectation."""
    sd = np.sqrt(trials * rate * (1 - rate))
    assert abs(hits - trials * rate) < 5 * sd, (
        f"{hits} hits in {trials}, expected about {trials * rate:.0f}"
    )


def test_clean_by_default():
    batch = run(FaultKnobs())
    assert not batch.flags.any()
    assert not batch.truth.fault.any()


def test_saturation_codes_are_flagged_saturated():
    batch = run(FaultKnobs(saturation_rate=RATE))
    hit = batch.truth.fault == FaultCode.SATURATION
    assert_rate(int(hit.sum()), SAMPLES, RATE)
    assert np.all(np.isin(batch.counts[hit], [COUNTS_MAX, COUNTS_MIN]))
    np.testing.assert_array_equal(batch.flags == SampleFlag.SATURATED, hit)


def test_desync_is_flagged_and_corrupts_the_value():
    batch = run(FaultKnobs(desync_rate=RATE))
    hit = batch.truth.fault == FaultCode.DESYNC
    assert_rate(int(hit.sum()), SAMPLES, RATE)
    np.testing.assert_array_equal(batch.flags == SampleFlag.DESYNC, hit)
    error = np.abs(batch.counts - batch.truth.ideal_counts)
    assert np.median(error[hit]) > 1000 * np.median(error[~hit])


def test_all_ones_reads_are_2_to_the_n_minus_1_and_unflagged():
    batch = run(FaultKnobs(all_ones_rate=RATE))
    hit = batch.truth.fault == FaultCode.ALL_ONES
    assert_rate(int(hit.sum()), SAMPLES, RATE)
    raw = batch.counts[hit].astype(np.int64) & 0xFFFFFF
    assert np.all((raw & (raw + 1)) == 0), "every all-ones read is 2**n - 1"
    assert np.any(batch.counts[hit] == -1), "0xFFFFFF reads as -1 once sign-extended"
    assert not batch.flags.any()  # a driver cannot tell these from data; cleaning must


def test_spikes_are_big_unflagged_jumps():
    batch = run(FaultKnobs(spike_rate=RATE))
    hit = batch.truth.fault == FaultCode.SPIKE
    assert_rate(int(hit.sum()), SAMPLES, RATE)
    error = np.abs(batch.counts - batch.truth.ideal_counts)
    assert np.all(error[hit] > 2**17 - 1000)  # a flipped bit 17..22
    assert np.all(error[~hit] < 1000)  # the rest is noise (~59 counts rms)
    assert not batch.flags.any()


def test_dropped_samples_leave_seq_gaps_and_flag_the_next_sample():
    batch = run(FaultKnobs(drop_rate=RATE))
    lost = seq_gaps(batch.seq)
    true_lost = np.diff(batch.truth.sample_index, prepend=-1) - 1
    np.testing.assert_array_equal(lost, true_lost)
    assert_rate(int(lost.sum()), 60 * 80, RATE)
    flagged = (batch.flags & SampleFlag.DROPPED).any(axis=1)
    np.testing.assert_array_equal(flagged, lost > 0)
    assert np.all(batch.flags[flagged] == SampleFlag.DROPPED), "every channel of the row is flagged"


def test_overload_saturates_and_is_flagged():
    script = (
        Segment(Technique.TRIGGER_POINT, 10.0, force_n=2000.0),
    )  # beyond a 50 kg cell's ADC range
    batch = run(FaultKnobs(), layout="single", script=script)
    over = batch.truth.fault[:, 0] == FaultCode.OVERLOAD
    assert over.sum() > 100
    assert np.all(batch.counts[over, 0] == COUNTS_MAX)
    assert np.all(batch.flags[over, 0] == SampleFlag.SATURATED)


def read_until_timeout(sensor) -> tuple[list[Batch], SensorTimeout]:
    batches = []
    while True:
        try:
            batches.append(sensor.read(timeout_s=1.0))
        except SensorTimeout as timeout:
            return batches, timeout


def test_whole_sensor_stall_times_out_then_resumes_fast():
    faults = FaultKnobs(stall_at_s=5.0, stall_s=3.0)
    with fast_sim("single", faults) as sensor:
        batches, timeout = read_until_timeout(sensor)
        assert "stalled" in str(timeout)
        resumed = Batch.concat([b for b in iter(lambda: sensor.read(timeout_s=5.0), None)])
    before = Batch.concat(batches)
    assert before.t_s[-1] < 5.0
    assert resumed.t_s[0] >= 8.0
    # No conversions happened while stalled, so none were lost: seq carries on without a gap.
    assert np.all(seq_gaps(np.concatenate([before.seq, resumed.seq])) == 0)


def test_whole_sensor_stall_in_real_time_raises_then_recovers():
    faults = FaultKnobs(stall_at_s=0.2, stall_s=0.8)
    options = SensorOptions(layout="single", faults=faults)
    timeouts = 0
    with open_sensor("sim", options) as sensor:
        started = time.monotonic()
        while True:
            try:
                batch = sensor.read(timeout_s=0.3)
            except SensorTimeout:
                timeouts += 1
                continue
            if batch.t_s[-1] >= 1.1:
                break
        elapsed = time.monotonic() - started
    assert timeouts >= 1
    assert elapsed >= 1.0  # real time: nothing came early


def test_a_stall_forever_never_hangs_a_reader():
    with fast_sim("single", FaultKnobs(stall_at_s=1.0)) as sensor:
        while sensor.read(timeout_s=1.0).t_s[-1] < 0.9:
            pass
        for _ in range(3):
            with pytest.raises(SensorTimeout):
                sensor.read(timeout_s=1.0)


def test_one_unplugged_channel_is_flagged_timeout_while_the_others_stream():
    faults = FaultKnobs(stall_at_s=10.0, stall_s=5.0, stall_channels=("fr",))
    batch = run(faults)
    window = (batch.t_s >= 10.0) & (batch.t_s < 15.0)
    assert window.sum() == 5 * 80
    assert np.all(batch.flags[window, 1] == SampleFlag.TIMEOUT)
    assert np.all(batch.counts[window, 1] == 0)
    assert not batch.flags[:, [0, 2, 3]].any()
    assert not batch.flags[~window].any()


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        (["spike_rate=2"], "spike_rate = 2.0: expected a rate from 0 to 1"),
        (["drop_rate=-0.1"], "drop_rate = -0.1"),
        (["spike_rate=lots"], "expected a number"),
        (["bogus=1"], "NAME one of"),
        (["stall_channels=xx"], "this layout has fl, fr, rl, rr"),
        (["stall_at_s=-3"], "expected seconds >= 0"),
    ],
)
def test_bad_fault_knobs_are_refused_by_name(pairs, message):
    with pytest.raises(ConfigError, match=message):
        parse_fault_knobs(pairs, ("fl", "fr", "rl", "rr"))
