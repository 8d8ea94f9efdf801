"""The schema, as the list of changes that built it. Never edit a released migration: add one.
`PRAGMA user_version` holds how many have been applied."""

_INITIAL = (
    """CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )""",
    """CREATE TABLE patients (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        foot_mm REAL NOT NULL,
        affected_foot TEXT NOT NULL CHECK (affected_foot IN ('left', 'right', 'both')),
        severity TEXT NOT NULL CHECK (severity IN ('mild', 'chronic')),
        notes TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL
    )""",
    """CREATE TABLE targets (
        patient_id INTEGER NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
        technique TEXT NOT NULL,
        band_low_n REAL NOT NULL,
        band_high_n REAL NOT NULL,
        cadence_low_per_min REAL,
        cadence_high_per_min REAL,
        duration_s REAL NOT NULL,
        source TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (patient_id, technique)
    )""",
    """CREATE TABLE routines (
        patient_id INTEGER PRIMARY KEY REFERENCES patients(id) ON DELETE CASCADE,
        segments_json TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )""",
    """CREATE TABLE calibrations (
        id INTEGER PRIMARY KEY,
        sensor_key TEXT NOT NULL,
        offset_counts_json TEXT NOT NULL,
        counts_per_n_json TEXT NOT NULL,
        source TEXT NOT NULL,
        created_at TEXT NOT NULL
    )""",
    """CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        patient_id INTEGER REFERENCES patients(id) ON DELETE CASCADE,
        started_at TEXT NOT NULL,
        ended_at TEXT,
        status TEXT NOT NULL CHECK (status IN ('running', 'complete', 'interrupted')),
        routine_json TEXT,
        recording TEXT,
        score REAL,
        report_json TEXT
    )""",
    "CREATE INDEX sessions_by_patient ON sessions (patient_id, started_at)",
    """CREATE TABLE segments (
        session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        technique TEXT NOT NULL,
        zone TEXT,
        planned_s REAL NOT NULL,
        done_s REAL NOT NULL,
        score REAL,
        report_json TEXT,
        PRIMARY KEY (session_id, position)
    )""",
)

# A running session's latest state, written every second, so that after a crash it shows how far
# it got; and the plan a patient's adherence is measured against.
_PROGRESS_AND_PLAN = (
    "ALTER TABLE sessions ADD COLUMN progress_json TEXT",
    "ALTER TABLE sessions ADD COLUMN updated_at TEXT",
    "UPDATE sessions SET updated_at = COALESCE(ended_at, started_at)",
    "ALTER TABLE patients ADD COLUMN sessions_per_week_low INTEGER",
    "ALTER TABLE patients ADD COLUMN sessions_per_week_high INTEGER",
)

MIGRATIONS: tuple[tuple[str, ...], ...] = (_INITIAL, _PROGRESS_AND_PLAN)
