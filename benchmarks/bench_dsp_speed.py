"""Signal-processing speed: the one processing path (pfsense.dsp.pipeline) per four-cell frame,
back to back and at the pace of a live sensor, and in recording-sized chunks.

Back to back, a frame's numpy work stays in the processor's caches; live, a frame comes every
12.5 ms and the thread sleeps in between, so every frame starts cold. The paced figure (thread
CPU time per frame, sleeping 12.5 ms between frames) is what `pfsense serve` pays for a frame;
`bench_serve.py` measures the whole server. An empty wake-up on the same grid is the floor that
any per-sample design pays. What a wake-up costs grows with how many *different* functions it
runs, far more than with how many calls: the last figures wake on the grid and call one numpy
function 30 times, or 30 different ones once each, on the same four numbers.

Run: .venv/bin/python benchmarks/bench_dsp_speed.py
"""

import statistics
import time

import numpy as np

from pfsense.dsp.pipeline import Processor
from pfsense.dsp.recent import RECENT_WINDOW_S
from pfsense.sensors import SensorOptions, open_sensor
from pfsense.sensors.batch import Batch

try:
    from benchmarks.common import reference_ms, report
except ImportError:
    from common import reference_ms, report

RATE_HZ = 80
PERIOD_S = 1 / RATE_HZ


def simulated(rows: int):
    options = SensorOptions(layout="plate4", realtime=False, loop=True)
    with open_sensor("sim", options) as sensor:
        batches, total = [], 0
        while total < rows:
            batches.append(sensor.read())
            total += len(batches[-1])
        return Batch.concat(batches).select(slice(0, rows)), sensor


def live_processor(sensor) -> Processor:
    # As the live service runs it: with the recent window the page's "now" comes from.
    return Processor(
        sensor.layout, sensor.nominal_calibration, RATE_HZ, recent_window_s=RECENT_WINDOW_S
    )


def back_to_back_us(batch: Batch, sensor, batch_rows: int) -> float:
    parts = [batch.select(slice(i, i + batch_rows)) for i in range(0, len(batch), batch_rows)]
    timings = []
    for _ in range(5):
        processor = live_processor(sensor)
        started = time.perf_counter()
        for part in parts:
            processor.process(part)
        timings.append((time.perf_counter() - started) / len(batch) * 1e6)
    return statistics.median(timings)


def paced_us(batch: Batch, sensor, frames: int = 800) -> float:
    """Thread CPU time per one-sample frame with a 12.5 ms sleep before each, as live."""
    parts = [batch.select(slice(i, i + 1)) for i in range(frames)]
    processor = live_processor(sensor)
    used_ns = []
    for part in parts:
        time.sleep(PERIOD_S)
        started = time.thread_time_ns()
        processor.process(part)
        used_ns.append(time.thread_time_ns() - started)
    return statistics.median(used_ns) / 1000


_A = np.arange(4.0)
_B = np.arange(8.0).reshape(2, 4)
SAME = [lambda: _A + 1.0] * 30
DIFFERENT = [
    lambda: _A + 1.0, lambda: _A * 2.0, lambda: np.abs(_A), lambda: _A.sum(), lambda: _A.any(),
    lambda: np.concatenate([_A, _A]), lambda: np.sort(_A), lambda: _A.max(),
    lambda: np.isnan(_A), lambda: np.where(_A > 1, _A, 0.0), lambda: _A.astype(int),
    lambda: np.zeros(3), lambda: np.full(3, np.nan), lambda: _B.T.copy(),
    lambda: np.column_stack([_A, _A]), lambda: _A.tolist(), lambda: np.count_nonzero(_A),
    lambda: np.argmax(_A), lambda: np.clip(_A, 1, 2), lambda: np.nan_to_num(_A),
    lambda: np.searchsorted(_A, 2.0), lambda: _A.reshape(2, 2), lambda: np.minimum(_A, 2),
    lambda: _A // 2, lambda: np.floor(_A), lambda: _B.sum(axis=1), lambda: np.isfinite(_A),
    lambda: np.take_along_axis(_B, np.zeros((1, 4), int), 0), lambda: _A[_A > 1],
    lambda: np.broadcast_to(_A, (2, 4)),
]  # fmt: skip


def calls_after_wake_us(calls: list, wakes: int = 800) -> float:
    """Thread CPU time of a wake on the 12.5 ms grid and then `calls`; with none, this
    machine's floor."""
    used_ns, due = [], time.monotonic()
    for _ in range(wakes):
        due += PERIOD_S
        started = time.thread_time_ns()
        time.sleep(max(0.0, due - time.monotonic()))
        for call in calls:
            call()
        used_ns.append(time.thread_time_ns() - started)
    return statistics.median(used_ns) / 1000


def chunked_rows_per_s(batch: Batch, sensor, chunk_rows: int = 4096) -> float:
    timings = []
    for _ in range(5):
        processor = Processor(sensor.layout, sensor.nominal_calibration, RATE_HZ)
        started = time.perf_counter()
        for start in range(0, len(batch), chunk_rows):
            processor.process(batch.select(slice(start, start + chunk_rows)))
        processor.finish()
        timings.append(time.perf_counter() - started)
    return len(batch) / statistics.median(timings)


def main() -> None:
    batch, sensor = simulated(RATE_HZ * 600)
    live = batch.select(slice(0, RATE_HZ * 120))
    for rows in (1, 2):
        report(f"processing, plate4, {rows}-sample batches back to back",
               back_to_back_us(live, sensor, rows), "us/frame (median of 5)")  # fmt: skip
    paced = paced_us(live, sensor)
    report("processing, plate4, one sample every 12.5 ms", paced, "us/frame (median)",
           f"{paced * RATE_HZ / 1e4:.2f} % of a core at 80 Hz")  # fmt: skip
    wake = calls_after_wake_us([])
    report("an empty wake-up every 12.5 ms (sleep and wake only)", wake, "us/wake (median)",
           f"{wake * RATE_HZ / 1e4:.2f} % of a core at 80 Hz")  # fmt: skip
    for label, calls in (("the same numpy call 30 times", SAME), ("30 different", DIFFERENT)):
        report(f"a wake-up every 12.5 ms, then {label}", calls_after_wake_us(calls),
               "us/wake (median)")  # fmt: skip
    rate = chunked_rows_per_s(batch, sensor)
    report("processing, plate4, 4096-row chunks", rate / 1e3, "k rows/s (median of 5)",
           f"1 h of plate4 (288,000 rows) in {288_000 / rate:.2f} s")  # fmt: skip
    report("machine reference: 3 M Python additions", reference_ms(), "ms (median of 5)")


if __name__ == "__main__":
    main()
