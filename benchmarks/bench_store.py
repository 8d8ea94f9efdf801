"""The store's costs: a running session's progress write (once a second on the acquisition
thread), a segment's write, and a patient's history page and CSV with 1,000 sessions.

Run: .venv/bin/python benchmarks/bench_store.py
"""

import statistics
import tempfile
import time
from contextlib import closing
from pathlib import Path

from pfsense.live.service import LiveService
from pfsense.sensors import open_sensor
from pfsense.store import db, patients, sessions
from pfsense.web import create_app

try:
    from benchmarks.common import median_seconds, report
except ImportError:
    from common import median_seconds, report

SESSIONS = 1000
PROGRESS = {"duration_s": 123.4, "samples_recorded": 9872, "segments_done": 2,
            "metrics": {"duration_s": 120.0, "time_in_band_fraction": 0.8, "cadence_per_min": 31.0,
                        "technique": "rolling", "score": {"total": 78.0}}}  # fmt: skip
SEGMENT = {"technique": "rolling", "zone": "arch", "duration_s": 60.0}
SEGMENT_REPORT = {"duration_s": 60.0, "loaded_s": 58.0, "time_in_band_fraction": 0.8,
                  "score": {"total": 80.0}, "coverage": {"zones_s": {"arch": 50.0}}}  # fmt: skip


def timed_ms(run, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    with tempfile.TemporaryDirectory() as folder, closing(db.connect(Path(folder))) as connection:
        patient = patients.add_patient(connection, patients.checked_patient({"name": "Bench"}))
        session_id = sessions.start_session(connection, patient.id, [SEGMENT], "bench.csv")
        progress_ms = timed_ms(
            lambda: sessions.save_progress(connection, session_id, PROGRESS), 300
        )
        report("session progress write (WAL, synchronous=NORMAL)", progress_ms, "ms (median)")
        position = iter(range(10**6))
        segment_ms = timed_ms(
            lambda: sessions.save_segment(
                connection, session_id, next(position), SEGMENT, SEGMENT_REPORT
            ),
            300,
        )
        report("segment write", segment_ms, "ms (median)")
        for _ in range(SESSIONS):
            done = sessions.start_session(connection, patient.id, [SEGMENT], "bench.csv")
            sessions.finish_session(connection, done, {**SEGMENT_REPORT, "segments": []})
        live = LiveService(open_sensor("sim"))
        app = create_app(live, {"TESTING": True, "PFSENSE_DATA_DIR": folder})
        client = app.test_client()
        page_s = median_seconds(lambda: client.get(f"/api/patients/{patient.id}"), repeats=9)
        report(f"patient history JSON, {SESSIONS} sessions", page_s * 1000, "ms (median of 9)")
        from pfsense.store.exports import history_csv

        csv_s = median_seconds(lambda: history_csv(connection, patient.id), repeats=9)
        report(f"patient history CSV, {SESSIONS} sessions", csv_s * 1000, "ms (median of 9)")
        live.sensor.close()


if __name__ == "__main__":
    main()
