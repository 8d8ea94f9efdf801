"""Cleaning on the simulator's ground truth and on hand-made arrays."""

import numpy as np
import pytest

from pfsense.dsp.clean import Cleaner, _reflected, flag_reasons, spike_mask
from pfsense.sensors.batch import Batch
from pfsense.sim import FaultCode, FaultKnobs

from .conftest import fast_sim

GLITCHY = FaultKnobs(
    spike_rate=0.01, saturation_rate=0.005, all_ones_rate=0.005, desync_rate=0.005, drop_rate=0.01
)


def simulate(faults: FaultKnobs = GLITCHY, seed: int = 1, layout: str = "plate4"):
    sensor = fast_sim(layout, faults, seed=seed)
    with sensor:
        batch = Batch.concat(list(sensor))
    return batch, np.asarray(sensor.nominal_calibration.counts_per_n)


def clean_all(batch: Batch, counts_per_n, piece: int | None = None):
    cleaner = Cleaner(batch.channels, counts_per_n)
    rows, values = [], []
    step = piece or len(batch)
    for start in range(0, len(batch), step):
        r, v = cleaner.clean(batch.select(slice(start, start + step)))
        rows.append(r)
        values.append(v)
    r, v = cleaner.finish()
    return Batch.concat([*rows, r]), np.concatenate([*values, v]), cleaner.stats


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_glitch_is_rejected_and_almost_nothing_else(seed):
    batch, cpn = simulate(seed=seed)
    rows, counts, stats = clean_all(batch, cpn)
    assert len(rows) == len(batch)
    fault = batch.truth.fault
    rejected = np.isnan(counts)
    # A glitch that lands within a few newtons of the true reading (an all-ones word near the real
    # value, on a steep slope) cannot be told from data, and does little harm: it may stay.
    harmful = np.abs(batch.counts - batch.truth.ideal_counts) > 4.0 * cpn
    assert rejected[(fault != FaultCode.NONE) & harmful].all(), "a glitch got through"
    false_rejections = rejected[fault == FaultCode.NONE].mean()
    assert false_rejections < 0.001
    assert stats.rejected["desync"] == np.count_nonzero(fault == FaultCode.DESYNC)
    # An all-ones word of 23 bits is 0x7FFFFF, the saturation code itself.
    saturation_code = (fault == FaultCode.ALL_ONES) & (batch.counts == 0x7FFFFF)
    assert stats.rejected["saturated"] == np.count_nonzero(
        fault == FaultCode.SATURATION
    ) + np.count_nonzero(saturation_code)
    glitch = ((fault == FaultCode.SPIKE) | (fault == FaultCode.ALL_ONES)) & ~saturation_code
    caught = stats.rejected["spike"] + stats.rejected["all_ones"]
    false_count = np.count_nonzero(rejected & (fault == FaultCode.NONE))
    assert np.count_nonzero(glitch & harmful) <= caught <= np.count_nonzero(glitch) + false_count
    assert stats.lost_samples == int(np.sum(np.diff(batch.truth.sample_index) - 1))


@pytest.mark.parametrize(("layout", "seed"), [("plate4", 1), ("plate4", 4), ("single", 2)])
def test_deciding_at_once_never_keeps_a_glitch_the_median_of_five_rejects(layout, seed):
    """Readings on the line of the two before them go out at once; where that differs from the
    median of five over the whole recording, it is a clean reading kept, never a glitch."""
    batch, cpn = simulate(seed=seed, layout=layout)
    _, counts, _ = clean_all(batch, cpn, piece=1)
    usable = np.where(flag_reasons(batch.counts, batch.flags) == 0, batch.counts * 1.0, np.nan)
    threshold = 2.0 * cpn
    context = np.concatenate(
        [_reflected(usable, threshold), usable, _reflected(usable[::-1], threshold)]
    )
    median_rejects = np.isnan(usable) | spike_mask(context, threshold)
    # The last two rows are decided by the end-of-recording rule (the next test), not compared.
    differ = (np.isnan(counts) != median_rejects)[:-2]
    assert (batch.truth.fault[:-2][differ] == FaultCode.NONE).all()
    assert not (np.isnan(counts) & ~median_rejects)[:-2].any(), "rejected what the median keeps"


def test_kept_samples_are_untouched():
    batch, cpn = simulate()
    _, counts, _ = clean_all(batch, cpn)
    kept = ~np.isnan(counts)
    np.testing.assert_array_equal(counts[kept], batch.counts[kept])


@pytest.mark.parametrize("piece", [1, 2, 7, 333])
def test_batches_of_any_size_give_the_same_result(piece):
    batch, cpn = simulate()
    _, whole, whole_stats = clean_all(batch, cpn)
    _, pieces, piece_stats = clean_all(batch, cpn, piece)
    np.testing.assert_array_equal(np.isnan(whole), np.isnan(pieces))
    np.testing.assert_array_equal(whole[~np.isnan(whole)], pieces[~np.isnan(pieces)])
    assert whole_stats.to_dict() == piece_stats.to_dict()


def one_channel(values) -> Batch:
    n = len(values)
    counts = np.asarray(values, dtype=np.int32)[:, None]
    return Batch(np.arange(n) / 80, np.arange(n) / 80 + 1e9, np.arange(n, dtype=np.uint16), counts,
                 np.zeros((n, 1), np.uint8))  # fmt: skip


def test_a_real_step_and_a_fast_ramp_survive_but_spikes_of_one_or_two_samples_do_not():
    cpn = np.array([4380.0])
    step = [0] * 10 + [438_000] * 10  # 100 N put down at once
    ramp = list(range(0, 20 * 15_000, 15_000))  # 3.4 N more every sample
    spike = [1000] * 5 + [1000 + (1 << 20)] + [1000] * 5
    pair = [1000] * 5 + [1000 + (1 << 20)] * 2 + [1000] * 5
    for values, rejected in ((step, []), (ramp, []), (spike, [5]), (pair, [5, 6])):
        _, counts, _ = clean_all(one_channel(values), cpn)
        assert np.flatnonzero(np.isnan(counts[:, 0])).tolist() == rejected


def test_an_unconfirmed_jump_in_the_last_sample_of_a_recording_is_rejected():
    """Nothing comes after the last sample to tell a spike from a step: kept, a spike would read
    as a peak or as over-pressure, so it is rejected; a real step loses one sample."""
    spike = [1000] * 8 + [1000 + (1 << 20)]
    for piece in (1, 2, None):
        _, counts, stats = clean_all(one_channel(spike), np.array([4380.0]), piece)
        assert np.flatnonzero(np.isnan(counts[:, 0])).tolist() == [8], piece
        assert stats.rejected["spike"] == 1


def test_a_spike_on_the_very_first_sample_is_rejected_and_a_first_ramp_is_kept():
    """Reflected about itself, a spike on the first sample was its own median and got through."""
    cpn = np.array([4380.0])
    first_spike = [1000 + (1 << 20)] + [1000] * 8
    first_pair = [1000 + (1 << 20)] * 2 + [1000] * 8
    second_spike = [1000, 1000 + (1 << 20)] + [1000] * 8
    steep_ramp = list(range(0, 10 * 15_000, 15_000))  # 3.4 N a sample from the first one on
    cases = ((first_spike, [0]), (first_pair, [0, 1]), (second_spike, [1]), (steep_ramp, []))
    for values, rejected in cases:
        for piece in (1, 3, None):
            _, counts, stats = clean_all(one_channel(values), cpn, piece)
            assert np.flatnonzero(np.isnan(counts[:, 0])).tolist() == rejected, (values, piece)
            assert stats.rejected["spike"] == len(rejected)


def test_all_ones_reads_are_named_as_such():
    values = [50_000] * 5 + [-1] + [50_000] * 5 + [0x3FFFF] + [50_000] * 5
    _, counts, stats = clean_all(one_channel(values), np.array([4380.0]))
    assert stats.rejected["all_ones"] == 2
    assert stats.rejected["spike"] == 0
    assert np.flatnonzero(np.isnan(counts[:, 0])).tolist() == [5, 11]


def test_an_all_ones_value_that_is_the_real_reading_is_kept():
    _, counts, stats = clean_all(one_channel([-3, -2, -1, 0, 1]), np.array([4380.0]))
    assert not np.isnan(counts).any()
    assert stats.rejected_samples == 0
