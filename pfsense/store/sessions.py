"""Sessions as they happen: a row when one starts (status `running`), its progress every second,
a row per segment as each ends, and the summary at the end (`complete`). A session whose process
died shows as `interrupted` with how far it got, never as missing."""

import datetime as dt
import json
import sqlite3
from dataclasses import dataclass

from pfsense.errors import NotFound
from pfsense.store.db import next_id, transaction


@dataclass(frozen=True)
class SessionRow:
    id: int
    patient_id: int | None
    started_at: str
    ended_at: str | None
    status: str
    recording: str | None
    score: float | None
    routine: list | None
    report: dict | None
    progress: dict | None

    @property
    def duration_s(self) -> float | None:
        """As reported at the end, or as far as it got (an interrupted session)."""
        return (self.report or {}).get("duration_s") or (self.progress or {}).get("duration_s")

    def to_dict(self) -> dict:
        return self.__dict__.copy()


def start_session(
    connection: sqlite3.Connection,
    patient_id: int | None,
    routine: list | None,
    recording: str | None,
) -> int:
    now = _now()
    with transaction(connection):
        session_id = next_id(connection, "sessions")
        connection.execute(
            "INSERT INTO sessions (id, patient_id, started_at, status, routine_json, recording,"
            " updated_at) VALUES (?, ?, ?, 'running', ?, ?, ?)",
            (session_id, patient_id, now, _json(routine), recording, now),
        )
    return session_id


def save_progress(connection: sqlite3.Connection, session_id: int, progress: dict) -> None:
    """The running session's latest state (elapsed time, segment, metrics so far)."""
    with transaction(connection):
        connection.execute(
            "UPDATE sessions SET progress_json = ?, updated_at = ? WHERE id = ?",
            (_json(progress), _now(), session_id),
        )


def save_segment(
    connection: sqlite3.Connection, session_id: int, position: int, segment: dict, report: dict
) -> None:
    """A finished segment of a routine and its report (scored against the patient's target)."""
    score = (report.get("score") or {}).get("total")
    with transaction(connection):
        connection.execute(
            "INSERT OR REPLACE INTO segments (session_id, position, technique, zone, planned_s,"
            " done_s, score, report_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (session_id, position, segment["technique"], segment.get("zone"),
             segment["duration_s"], report.get("duration_s") or 0.0, score, _json(report)),
        )  # fmt: skip


def finish_session(
    connection: sqlite3.Connection, session_id: int, report: dict, status: str = "complete"
) -> None:
    score = (report.get("score") or {}).get("total")
    now = _now()
    with transaction(connection):
        connection.execute(
            "UPDATE sessions SET status = ?, ended_at = ?, score = ?, report_json = ?,"
            " updated_at = ? WHERE id = ?",
            (status, now, score, _json(report), now, session_id),
        )


def mark_interrupted(connection: sqlite3.Connection) -> int:
    """Sessions left `running` by a process that is gone: `interrupted`, ended when last heard
    of. Called when pfsense starts, before any session of its own."""
    with transaction(connection):
        return connection.execute(
            "UPDATE sessions SET status = 'interrupted', ended_at = updated_at"
            " WHERE status = 'running'"
        ).rowcount


def get_session(connection: sqlite3.Connection, session_id: int) -> SessionRow:
    row = connection.execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
    if row is None:
        raise NotFound(f"no session {session_id}")
    return _session(row)


def sessions_of(connection: sqlite3.Connection, patient_id: int) -> list[SessionRow]:
    rows = connection.execute(
        "SELECT * FROM sessions WHERE patient_id = ? ORDER BY started_at, id", (patient_id,)
    )
    return [_session(row) for row in rows]


def segments_of(connection: sqlite3.Connection, session_id: int) -> list[dict]:
    rows = connection.execute(
        "SELECT * FROM segments WHERE session_id = ? ORDER BY position", (session_id,)
    )
    return [
        {
            "position": row["position"],
            "technique": row["technique"],
            "zone": row["zone"],
            "planned_s": row["planned_s"],
            "done_s": row["done_s"],
            "score": row["score"],
            "report": json.loads(row["report_json"]) if row["report_json"] else None,
        }
        for row in rows
    ]


def _session(row: sqlite3.Row) -> SessionRow:
    return SessionRow(
        id=row["id"],
        patient_id=row["patient_id"],
        started_at=row["started_at"],
        ended_at=row["ended_at"],
        status=row["status"],
        recording=row["recording"],
        score=row["score"],
        routine=_loads(row["routine_json"]),
        report=_loads(row["report_json"]),
        progress=_loads(row["progress_json"]),
    )


def _json(value) -> str | None:
    return None if value is None else json.dumps(value, separators=(",", ":"), allow_nan=False)


def _loads(text: str | None):
    return None if text is None else json.loads(text)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
