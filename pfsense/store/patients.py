"""Patients: a name or pseudonym, foot length, affected foot, severity, notes, and the number of
sessions a week their plan asks for."""

import datetime as dt
import sqlite3
from dataclasses import asdict, dataclass
from pathlib import Path

from pfsense.clinical import doses
from pfsense.clinical.foot import DEFAULT_FOOT_MM, FOOT_MM_RANGE
from pfsense.errors import InvalidInput, NotFound
from pfsense.paths import RECORDINGS_DIR
from pfsense.store import checks
from pfsense.store.db import next_id, transaction

SEVERITIES = ("mild", "chronic")
FEET = ("left", "right", "both")
MAX_NAME_CHARS = 80
MAX_NOTES_CHARS = 2000


@dataclass(frozen=True)
class Patient:
    id: int | None
    name: str
    foot_mm: float = DEFAULT_FOOT_MM
    affected_foot: str = "both"
    severity: str = "mild"
    notes: str = ""
    # None: the default for the severity (doses.SESSIONS_PER_WEEK, from DOMAIN.md).
    sessions_per_week: tuple[int, int] | None = None

    @property
    def plan_per_week(self) -> tuple[int, int]:
        return self.sessions_per_week or doses.SESSIONS_PER_WEEK[self.severity]

    def to_dict(self) -> dict:
        return {**asdict(self), "plan_per_week": list(self.plan_per_week)}


def checked_patient(fields: dict, patient_id: int | None = None) -> Patient:
    """A Patient from user input; InvalidInput names the first bad field."""
    per_week = fields.get("sessions_per_week")
    if per_week in (None, "", []):
        per_week = None
    else:
        if not isinstance(per_week, list | tuple) or len(per_week) != 2:
            raise InvalidInput("sessions_per_week", "expected [low, high], e.g. [2, 3]")
        low = int(checks.number("sessions_per_week", per_week[0], 1, 14))
        high = int(checks.number("sessions_per_week", per_week[1], 1, 14))
        if low > high:
            raise InvalidInput("sessions_per_week", f"low {low} is above high {high}")
        per_week = (low, high)
    return Patient(
        id=patient_id,
        name=checks.text("name", fields.get("name"), MAX_NAME_CHARS),
        foot_mm=checks.number(
            "foot_mm", fields.get("foot_mm", DEFAULT_FOOT_MM), *FOOT_MM_RANGE, " mm"
        ),
        affected_foot=checks.choice("affected_foot", fields.get("affected_foot", "both"), FEET),
        severity=checks.choice("severity", fields.get("severity", "mild"), SEVERITIES),
        notes=checks.text("notes", fields.get("notes", ""), MAX_NOTES_CHARS, required=False),
        sessions_per_week=per_week,
    )


# The columns a therapist edits, in the order _values gives them.
EDITABLE = (
    "name", "foot_mm", "affected_foot", "severity", "notes",
    "sessions_per_week_low", "sessions_per_week_high",
)  # fmt: skip


def add_patient(connection: sqlite3.Connection, patient: Patient) -> Patient:
    columns = ", ".join(EDITABLE)
    placeholders = ", ".join("?" * (len(EDITABLE) + 1))
    with transaction(connection):
        patient_id = next_id(connection, "patients")
        connection.execute(
            f"INSERT INTO patients (id, {columns}, created_at) VALUES (?, {placeholders})",
            (patient_id, *_values(patient), _now()),
        )
    return get_patient(connection, patient_id)


def update_patient(connection: sqlite3.Connection, patient: Patient) -> Patient:
    assignments = ", ".join(f"{column} = ?" for column in EDITABLE)
    with transaction(connection):
        changed = connection.execute(
            f"UPDATE patients SET {assignments} WHERE id = ?", (*_values(patient), patient.id)
        ).rowcount
    if not changed:
        raise NotFound(f"no patient {patient.id}")
    return get_patient(connection, patient.id)


def get_patient(connection: sqlite3.Connection, patient_id: int) -> Patient:
    row = connection.execute("SELECT * FROM patients WHERE id = ?", (patient_id,)).fetchone()
    if row is None:
        raise NotFound(f"no patient {patient_id}")
    return _patient(row)


def list_patients(connection: sqlite3.Connection) -> list[Patient]:
    rows = connection.execute("SELECT * FROM patients ORDER BY name COLLATE NOCASE, id")
    return [_patient(row) for row in rows]


def delete_patient(
    connection: sqlite3.Connection, patient_id: int, data_dir: Path | None = None
) -> int:
    """The patient and everything recorded about them (targets, routine, sessions) and, given
    the data directory, their sessions' recordings too. Returns how many recordings went."""
    with transaction(connection):
        rows = connection.execute(
            "SELECT id, recording FROM sessions WHERE patient_id = ?", (patient_id,)
        ).fetchall()
        names = [row["recording"] for row in rows if row["recording"]]
        if not connection.execute("DELETE FROM patients WHERE id = ?", (patient_id,)).rowcount:
            raise NotFound(f"no patient {patient_id}")
    if data_dir is None:
        return 0
    from pfsense.store.exports import forget_cached  # exports build on patients

    forget_cached(data_dir, [row["id"] for row in rows])  # what was worked out from them too
    removed = 0
    for name in names:  # after the commit: a file left by a crash here is only an orphan
        path = data_dir / RECORDINGS_DIR / Path(name).name  # a name, never a path elsewhere
        try:
            path.unlink()
            removed += 1
        except FileNotFoundError:
            pass
    return removed


def _values(patient: Patient) -> tuple:
    low, high = patient.sessions_per_week or (None, None)
    return (patient.name, patient.foot_mm, patient.affected_foot, patient.severity,
            patient.notes, low, high)  # fmt: skip


def _patient(row: sqlite3.Row) -> Patient:
    low, high = row["sessions_per_week_low"], row["sessions_per_week_high"]
    return Patient(
        id=row["id"],
        name=row["name"],
        foot_mm=row["foot_mm"],
        affected_foot=row["affected_foot"],
        severity=row["severity"],
        notes=row["notes"],
        sessions_per_week=(low, high) if low is not None else None,
    )


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
