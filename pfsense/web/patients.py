"""Patients, their targets and routines, their sessions, history and adherence, as JSON.

Reading is open, as the patient's side needs it (picking who is rolling, seeing one's history);
creating, changing, deleting and exporting need the therapist (pfsense.web.auth)."""

import datetime as dt
from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify
from werkzeug.exceptions import BadRequest

from pfsense.clinical import adherence
from pfsense.store import exports, patients, routines, sessions, targets
from pfsense.store.exports import zones_s
from pfsense.web.auth import therapist_required
from pfsense.web.db import get_db
from pfsense.web.pairing import patient_data
from pfsense.web.security import json_body

bp = Blueprint("patients", __name__, url_prefix="/api")

HISTORY_WEEKS = 8


@bp.get("/patients")
@patient_data
def list_patients():
    return jsonify(patients=[p.to_dict() for p in patients.list_patients(get_db())])


@bp.post("/patients")
@therapist_required
def add_patient():
    """A new patient; a name another patient has is refused (409, naming who) unless the body
    says `"allow_duplicate_name": true`: the therapist has seen the warning and confirmed."""
    body = json_body()
    connection = get_db()
    patient = patients.checked_patient(body)
    if body.get("allow_duplicate_name") is not True:
        patients.refuse_same_name(connection, patient.name)
    return jsonify(patient=patients.add_patient(connection, patient).to_dict()), 201


@bp.get("/patients/<id:patient_id>")
@patient_data
def show_patient(patient_id: int):
    connection = get_db()
    patient = patients.get_patient(connection, patient_id)
    routine = routines.routine_for(connection, patient_id, patient.severity)
    routine_s = routines.total_s(routine)
    return jsonify(
        patient=patient.to_dict(),
        targets=[t.to_dict() for t in targets.targets_for(connection, patient_id).values()],
        routine=[s.to_dict() for s in routine],
        sessions=[_brief(s, routine_s) for s in sessions.sessions_of(connection, patient_id)],
        adherence=_adherence(connection, patient, routine_s),
    )


@bp.put("/patients/<id:patient_id>")
@therapist_required
def edit_patient(patient_id: int):
    connection = get_db()
    before = patients.get_patient(connection, patient_id)  # 404 before 400
    body = json_body()
    patient = patients.checked_patient(body, patient_id)
    renamed = patient.name != before.name
    if renamed and body.get("allow_duplicate_name") is not True:  # as when adding one
        patients.refuse_same_name(connection, patient.name, but=patient_id)
    return jsonify(patient=patients.update_patient(connection, patient).to_dict())


@bp.delete("/patients/<id:patient_id>")
@therapist_required
def delete_patient(patient_id: int):
    data_dir = current_app.config.get("PFSENSE_DATA_DIR")
    removed = patients.delete_patient(get_db(), patient_id, Path(data_dir) if data_dir else None)
    return jsonify(deleted=patient_id, recordings_deleted=removed)


@bp.put("/patients/<id:patient_id>/targets/<technique>")
@therapist_required
def set_target(patient_id: int, technique: str):
    connection = get_db()
    patients.get_patient(connection, patient_id)
    body = {**json_body(), "technique": technique}
    source = body.pop("source", "manual")
    if source not in targets.SOURCES[1:]:
        raise BadRequest(f"source must be manual or demonstration, got {source!r}")
    target = targets.checked_target(body, source)
    targets.set_target(connection, patient_id, target)
    return jsonify(target=target.to_dict())


@bp.put("/patients/<id:patient_id>/routine")
@therapist_required
def set_routine(patient_id: int):
    connection = get_db()
    patients.get_patient(connection, patient_id)
    segments = routines.checked_routine(json_body().get("segments"))
    routines.set_routine(connection, patient_id, segments)
    return jsonify(routine=[s.to_dict() for s in segments])


@bp.get("/sessions/<id:session_id>")
@patient_data
def show_session(session_id: int):
    connection = get_db()
    session = sessions.get_session(connection, session_id)
    return jsonify(session=session.to_dict(), segments=sessions.segments_of(connection, session_id))


@bp.get("/sessions/<id:session_id>/trace")
@patient_data
def session_trace(session_id: int):
    """Every sample's force (and position), for the live page's replay, streamed in pieces."""
    data_dir = Path(current_app.config["PFSENSE_DATA_DIR"])
    return Response(
        exports.session_trace(get_db(), data_dir, session_id), mimetype="application/json"
    )


def _brief(session: sessions.SessionRow, routine_s: float) -> dict:
    report = session.report or {}
    return {
        "id": session.id,
        "started_at": session.started_at,
        "ended_at": session.ended_at,
        "status": session.status,
        "score": session.score,
        "duration_s": session.duration_s,
        "time_in_band_fraction": report.get("time_in_band_fraction"),
        "zones_s": zones_s(report),
        "recording": session.recording,
        "counted": _counted(session, routine_s),
        "least_s": adherence.least_session_s(_routine_s(session, routine_s)),
    }


def _routine_s(session: sessions.SessionRow, routine_s: float) -> float:
    """The routine a session is measured against: its own, if it followed one (what the patient
    was asked to do then), else the patient's routine now."""
    return routines.total_s(session.routine) if session.routine else routine_s


def _counted(session: sessions.SessionRow, routine_s: float) -> bool:
    return adherence.counts(session.status, session.duration_s, _routine_s(session, routine_s))


def _adherence(connection, patient: patients.Patient, routine_s: float) -> dict:
    days = [
        adherence.local_day(s.started_at)
        for s in sessions.sessions_of(connection, patient.id)
        if _counted(s, routine_s)
    ]
    today = current_app.config.get("PFSENSE_TODAY") or dt.datetime.now().astimezone().date()
    plan = patient.plan_per_week
    length, unit = adherence.streak(days, plan, today)
    return {
        "plan_per_week": list(plan),
        "weeks": [w.to_dict() for w in adherence.weeks(days, plan, today, HISTORY_WEEKS)],
        "streak": length,
        "streak_unit": unit,
        "least_session_s": adherence.least_session_s(routine_s),
    }
