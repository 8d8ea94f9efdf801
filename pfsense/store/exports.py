"""Exports, for the web and the CLI alike: a session's samples as CSV (raw counts and the force
and position derived from them), its `pfsense analyze` report as JSON, and a patient's history as
CSV; and importing a recording as a session."""

import csv
import io
import math
import shutil
import sqlite3
from pathlib import Path

import numpy as np

from pfsense.clinical.techniques import Technique
from pfsense.dsp.pipeline import Processed, Processor
from pfsense.dsp.report import analyze
from pfsense.errors import NotFound
from pfsense.paths import RECORDINGS_DIR, recordings_dir, unused_path
from pfsense.sensors.recording import data_columns, read_recording
from pfsense.store import patients, sessions, targets

HISTORY_COLUMNS = (
    "session", "started_at", "ended_at", "status", "duration_s", "score",
    "time_in_band_fraction", "heel_s", "arch_s", "forefoot_s", "recording",
)  # fmt: skip


def recording_path(data_dir: Path, session: sessions.SessionRow) -> Path:
    if not session.recording:
        raise NotFound(f"session {session.id} has no recording")
    path = data_dir / RECORDINGS_DIR / Path(session.recording).name  # never outside the folder
    if not path.exists():
        raise NotFound(f"session {session.id}'s recording {session.recording} is missing")
    return path


def session_report(connection: sqlite3.Connection, data_dir: Path, session_id: int) -> dict:
    """The session as stored, with `pfsense analyze`'s report of its whole recording against the
    patient's rolling band and foot length."""
    session = sessions.get_session(connection, session_id)
    band, foot_mm = _patient_measures(connection, session.patient_id)
    recording = read_recording(recording_path(data_dir, session))
    return {
        "session": session.to_dict(),
        "segments": sessions.segments_of(connection, session_id),
        "analysis": analyze(recording, band, foot_mm),
    }


def session_trace(connection: sqlite3.Connection, data_dir: Path, session_id: int) -> dict:
    """Force (and position on a plate) of every sample, for replaying on the live page."""
    session = sessions.get_session(connection, session_id)
    recording, rows = _processed(recording_path(data_dir, session))
    trace = {"layout": recording.layout.name, "t_s": np.round(rows.t_s - rows.t_s[0], 4)}
    trace["force_n"] = np.round(rows.force_n, 2)
    if recording.layout.is_plate:
        trace["x_mm"], trace["y_mm"] = np.round(rows.x_mm, 1), np.round(rows.y_mm, 1)
    return {key: _json_list(value) for key, value in trace.items()}


def _processed(path: Path):
    recording = read_recording(path)
    processor = Processor(recording.layout, recording.calibration, recording.rate_hz)
    return recording, Processed.concat([processor.process(recording.batch), processor.finish()])


def _json_list(value):
    if isinstance(value, str):
        return value
    return [None if v != v else v for v in value.tolist()]  # NaN (rejected) as null


def session_samples_csv(connection: sqlite3.Connection, data_dir: Path, session_id: int) -> str:
    """Every sample: time, sequence, raw counts and flags per cell, then force and position."""
    session = sessions.get_session(connection, session_id)
    recording, rows = _processed(recording_path(data_dir, session))
    batch = recording.batch
    out = io.StringIO()
    out.write(",".join([*data_columns(recording.layout.channels), "force_n", "x_mm", "y_mm"]))
    out.write("\n")
    table = zip(
        batch.t_s.tolist(), batch.acquired_at.tolist(), batch.seq.tolist(),
        batch.counts.tolist(), batch.flags.tolist(),
        rows.force_n.tolist(), rows.x_mm.tolist(), rows.y_mm.tolist(), strict=True,
    )  # fmt: skip
    for t_s, at, seq, counts, flags, force_n, x_mm, y_mm in table:
        derived = ",".join(_number(v) for v in (force_n, x_mm, y_mm))
        out.write(f"{t_s!r},{at!r},{seq},{_joined(counts)},{_joined(flags)},{derived}\n")
    return out.getvalue()


def history_csv(connection: sqlite3.Connection, patient_id: int) -> str:
    patients.get_patient(connection, patient_id)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HISTORY_COLUMNS)
    for session in sessions.sessions_of(connection, patient_id):
        report = session.report or {}
        zones = zones_s(report)
        writer.writerow(
            [session.id, session.started_at, session.ended_at or "", session.status,
             _number(session.duration_s), _number(session.score),
             _number(report.get("time_in_band_fraction")),
             *(_number(zones.get(zone)) for zone in ("heel", "arch", "forefoot")),
             session.recording or ""]
        )  # fmt: skip
    return out.getvalue()


def import_recording(
    connection: sqlite3.Connection, data_dir: Path, source: Path, patient_id: int | None
) -> int:
    """A recording made elsewhere (or earlier) as a complete session, analysed; its id."""
    band, foot_mm = _patient_measures(connection, patient_id)
    recording = read_recording(source)  # refuses a bad file before anything is stored
    report = analyze(recording, band, foot_mm)
    target = unused_path(recordings_dir(data_dir), f"imported-{source.stem}")
    shutil.copyfile(source, target)
    session_id = sessions.start_session(connection, patient_id, None, target.name)
    sessions.finish_session(connection, session_id, {**report, "ended_by": "imported"})
    return session_id


def _patient_measures(connection, patient_id: int | None):
    if patient_id is None:
        return None, None
    patient = patients.get_patient(connection, patient_id)
    band = targets.targets_for(connection, patient_id)[Technique.ROLLING].band_n
    return band, patient.foot_mm


def zones_s(report: dict) -> dict:
    """Seconds worked per zone: a free session's coverage, or a routine's segments."""
    if "coverage" in report:
        return report["coverage"]["zones_s"]
    zones: dict[str, float] = {}
    for segment in report.get("segments", []):
        zones[segment["zone"]] = zones.get(segment["zone"], 0.0) + (segment["loaded_s"] or 0.0)
    return zones


def _joined(values) -> str:
    return ",".join(map(str, values))


def _number(value) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    return repr(round(float(value), 6)) if isinstance(value, float | np.floating) else str(value)
