"""Patients: a name or pseudonym, foot length, affected foot, severity, notes, and the number of
sessions a week their plan asks for."""

import datetime as dt
import sqlite3
from dataclasses import asdict, dataclass
from pathlib import Path

from pfsense.clinical import doses
from pfsense.clinical.foot import DEFAULT_FOOT_MM, FOOT_MM_RANGE
from pfsense.errors import DuplicateName, InvalidInput, NotFound
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


# Each field as the therapist's page labels it: messages name what the person sees.
LABELS = {
    "name": "Name",
    "foot_mm": "Foot length (mm)",
    "affected_foot": "Foot",
    "severity": "Severity",
    "notes": "Notes",
    "sessions_per_week": "Sessions a week",
}


def checked_patient(fields: dict, patient_id: int | None = None) -> Patient:
    """A Patient from user input; InvalidInput names the first bad field."""
    return Patient(
        id=patient_id,
        name=checks.text("name", fields.get("name"), MAX_NAME_CHARS, label=LABELS["name"]),
        foot_mm=checks.number(
            "foot_mm",
            fields.get("foot_mm", DEFAULT_FOOT_MM),
            *FOOT_MM_RANGE,
            " mm",
            LABELS["foot_mm"],
        ),
        affected_foot=checks.choice(
            "affected_foot", fields.get("affected_foot", "both"), FEET, LABELS["affected_foot"]
        ),
        severity=checks.choice(
            "severity", fields.get("severity", "mild"), SEVERITIES, LABELS["severity"]
        ),
        notes=checks.text(
            "notes", fields.get("notes", ""), MAX_NOTES_CHARS, False, LABELS["notes"]
        ),
        sessions_per_week=_per_week(fields.get("sessions_per_week")),
    )


def _per_week(per_week: object) -> tuple[int, int] | None:
    """None (the severity's default), or the therapist's [low, high] sessions a week."""
    if per_week in (None, "", []):
        return None
    label = LABELS["sessions_per_week"]
    if not isinstance(per_week, list | tuple) or len(per_week) != 2:
        raise InvalidInput("sessions_per_week", "expected [low, high], e.g. [2, 3]", label)
    low, high = (
        int(checks.number(f"sessions_per_week.{end}", value, 1, 14, "", f"{label}, {end}"))
        for end, value in zip(("fewest", "most"), per_week, strict=True)
    )
    if low > high:
        raise InvalidInput(
            "sessions_per_week", f"the fewest, {low}, is more than the most, {high}", label
        )
    return low, high


def same_name(connection: sqlite3.Connection, name: str, but: int | None = None) -> list[dict]:
    """Other patients called `name`, told apart by case and spacing alone ("anna  k" is
    "Anna K"): two people of one name are easily mixed up, so the therapist is asked first."""
    wanted = _name_key(name)
    return [
        {"id": p.id, "name": p.name, "foot_mm": p.foot_mm}
        for p in list_patients(connection)
        if p.id != but and _name_key(p.name) == wanted
    ]


def refuse_same_name(connection: sqlite3.Connection, name: str, but: int | None = None) -> None:
    """DuplicateName (naming who has it) if another patient than `but` is called `name`."""
    existing = same_name(connection, name, but)
    if existing:
        raise DuplicateName(name, existing)


def _name_key(name: str) -> str:
    return " ".join(name.casefold().split())


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
