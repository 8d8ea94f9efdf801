"""Signal-processing speed: the live path per four-cell frame. (`pfsense analyze` of long
recordings is bench_analyze.py.)

Run: .venv/bin/python benchmarks/bench_dsp_speed.py
"""

import statistics
import tempfile
import time
from pathlib import Path

from pfsense.dsp.pipeline import Processor
from pfsense.dsp.recent import RECENT_WINDOW_S
from pfsense.sensors import SensorOptions, open_sensor
from pfsense.sensors.batch import Batch
from pfsense.sensors.recording import RecordingWriter, read_recording

try:
    from benchmarks.common import report
except ImportError:
    from common import report

HOUR_ROWS = 3600 * 80


def one_hour(path: Path) -> None:
    options = SensorOptions(layout="plate4", realtime=False, loop=True)
    with open_sensor("sim", options) as sensor:
        batches, rows = [], 0
        while rows < HOUR_ROWS:
            batches.append(sensor.read())
            rows += len(batches[-1])
        with RecordingWriter(path, sensor.layout, 80, sensor.nominal_calibration, "sim") as writer:
            writer.write(Batch.concat(batches).select(slice(0, HOUR_ROWS)))


def live_us_per_frame(recording, batch_rows: int, live: bool, frames: int = 80 * 120) -> float:
    batch = recording.batch.select(slice(0, frames))
    parts = [batch.select(slice(i, i + batch_rows)) for i in range(0, frames, batch_rows)]
    timings = []
    for _ in range(5):
        # As the live service runs it: with the recent window the page's "now" comes from.
        window_s = RECENT_WINDOW_S if live else None
        processor = Processor(
            recording.layout, recording.calibration, 80, live=live, recent_window_s=window_s
        )
        started = time.perf_counter()
        for part in parts:
            processor.process(part)
        timings.append((time.perf_counter() - started) / frames * 1e6)
    return statistics.median(timings)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "hour.csv"
        one_hour(path)
        recording = read_recording(path)
        for rows in (1, 2):
            live = live_us_per_frame(recording, rows, live=True)
            vectorised = live_us_per_frame(recording, rows, live=False)
            note = f"vectorised path: {vectorised:.0f} us/frame, {vectorised / live:.1f}x slower"
            report(f"live path, plate4, {rows}-sample batches", live, "us/frame (median)", note)


if __name__ == "__main__":
    main()
