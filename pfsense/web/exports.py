"""Exports and import, behind the therapist's PIN: a session's samples (CSV) and report (JSON), a
patient's history (CSV), and a recording imported as a session."""

import json
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify, request
from werkzeug.exceptions import BadRequest

from pfsense.errors import ConfigError
from pfsense.sensors.layout import parse_plate_mm
from pfsense.store import checks, exports
from pfsense.web.auth import therapist_required
from pfsense.web.db import get_db

bp = Blueprint("exports", __name__, url_prefix="/api")

MAX_IMPORT_BYTES = 64 * 1024 * 1024  # an hour of plate4 at 80 SPS is 20 MB
COPY_BYTES = 1024 * 1024  # the request body goes to the file this much at a time
MAX_NAME_CHARS = 120  # a file name a person gave it; the file system takes 255 bytes


@bp.get("/sessions/<id:session_id>/samples.csv")
@therapist_required
def session_samples(session_id: int):
    pieces = exports.session_samples_csv(get_db(), _data_dir(), session_id)
    return _download(pieces, "text/csv", f"pfsense-session-{session_id}.csv")


@bp.get("/sessions/<id:session_id>/report.json")
@therapist_required
def session_report(session_id: int):
    document = exports.session_report(get_db(), _data_dir(), session_id)
    text = json.dumps(document, indent=2, allow_nan=False)
    return _download(text, "application/json", f"pfsense-session-{session_id}.json")


@bp.get("/patients/<id:patient_id>/history.csv")
@therapist_required
def patient_history(patient_id: int):
    text = exports.history_csv(get_db(), patient_id)
    return _download(text, "text/csv", f"pfsense-patient-{patient_id}-history.csv")


@bp.post("/import")
@therapist_required
def import_recording():
    """The recording as the request body (`?patient_id=3` to file it under a patient)."""
    length = request.content_length
    if length is None or length == 0:
        raise BadRequest("send the recording's CSV as the request body")
    if length > MAX_IMPORT_BYTES:
        raise BadRequest(f"the recording is {length} bytes; at most {MAX_IMPORT_BYTES}")
    given = request.args.get("patient_id")
    patient_id = None if given in (None, "") else checks.row_id("patient_id", given)
    plate_mm = _plate_mm(request.args.get("plate_mm", ""))
    with tempfile.TemporaryDirectory(prefix="pfsense-import-") as folder:
        given = checks.text("name", request.args.get("name", "recording.csv"), MAX_NAME_CHARS)
        name = Path(given).name
        if name in ("", ".", ".."):  # no file name at all: one of our own
            name = "recording.csv"
        path = Path(folder) / name
        with open(path, "wb") as file:  # a piece at a time: the body is never all in memory
            shutil.copyfileobj(request.stream, file, COPY_BYTES)
        session_id = exports.import_recording(get_db(), _data_dir(), path, patient_id, plate_mm)
    return jsonify(session_id=session_id), 201


def _plate_mm(text: str) -> tuple[float, float] | None:
    """The plate size a plain four-cell CSV needs, `300x400` (mm); none if not given."""
    if not text.strip():
        return None
    try:
        return parse_plate_mm(text)
    except ConfigError as error:
        raise BadRequest(str(error)) from None


def _data_dir() -> Path:
    return Path(current_app.config["PFSENSE_DATA_DIR"])


def _download(text: str | Iterable[str], mimetype: str, filename: str) -> Response:
    """The text, or its pieces streamed as they are given."""
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(text, mimetype=mimetype, headers=headers)
