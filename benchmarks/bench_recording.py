"""Writing and reading recordings: a ten-minute plate4 session at 80 samples/s.

Run: .venv/bin/python benchmarks/bench_recording.py
"""

import tempfile
from pathlib import Path

from pfsense.sensors import SensorOptions, open_sensor
from pfsense.sensors.batch import Batch
from pfsense.sensors.recording import RecordingWriter, read_recording

try:
    from benchmarks.common import median_seconds, report
except ImportError:
    from common import median_seconds, report

SECONDS = 600


def ten_minutes() -> tuple[Batch, object]:
    options = SensorOptions(layout="plate4", realtime=False, loop=True)
    with open_sensor("sim", options) as sensor:
        batches = []
        while sum(len(b) for b in batches) < SECONDS * 80:
            batches.append(sensor.read())
        return Batch.concat(batches), sensor


def main() -> None:
    batch, sensor = ten_minutes()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "session.csv"

        def write() -> None:
            cal = sensor.nominal_calibration
            with RecordingWriter(path, sensor.layout, 80, cal, "sim") as writer:
                for start in range(0, len(batch), 2):  # 2 samples a batch, as served live
                    writer.write(batch.select(slice(start, start + 2)))

        write_s = median_seconds(write, repeats=3)
        read_s = median_seconds(lambda: read_recording(path), repeats=3)
        size_mb = path.stat().st_size / 1e6
    report("recording: write 10 min plate4 (2-sample batches)", write_s * 1000, "ms (median)")
    report("recording: read 10 min plate4", read_s * 1000, "ms (median)")
    report(
        "recording: file size per minute (plate4, 80 SPS)", size_mb / (SECONDS / 60) * 1000, "kB"
    )


if __name__ == "__main__":
    main()
