"""Error responses: JSON under /api, HTML elsewhere. pfsense's own errors (a refused tare, a
session already running, a stalled sensor) are the user's to act on: their message, no traceback."""

from flask import Flask, jsonify, make_response, render_template, request
from werkzeug.exceptions import HTTPException

from pfsense.errors import (
    CalibrationError,
    ConfigError,
    DemonstrationError,
    DuplicateName,
    InvalidInput,
    LiveStateError,
    NotFound,
    PfsenseError,
    SensorError,
)

# An unknown patient or session is not found; refusals that depend on the device's state, and a
# name another patient has (until the therapist confirms), are conflicts; a sensor that does not
# answer, or a store that cannot be used (a full or read-only card, a corrupt database), is an
# unavailable service; anything else of ours (InvalidInput) is a bad request.
STATUS_FOR = (
    (NotFound, 404),
    (CalibrationError, 409),
    (DuplicateName, 409),
    (DemonstrationError, 409),
    (LiveStateError, 409),
    (SensorError, 503),
    (ConfigError, 503),
)


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(PfsenseError, _pfsense_error)


def _http_error(error: HTTPException):
    description = error.description
    if error.code == 404 and request.path.startswith("/api/") and request.url_rule is None:
        # No route matched: an unknown path, or an id out of range (1 to 2**63 - 1).
        description = (
            f"nothing at {request.path[:80]}: check the address (ids are whole numbers from 1 "
            "to 9223372036854775807)"
        )
    retry_after = getattr(error, "retry_after", None)  # too many wrong PINs: wait this long
    if not isinstance(retry_after, int):
        return _respond(error.code or 500, error.name, description)
    # In the body too, so the page can count the wait down to the second.
    response = make_response(
        _respond(error.code, error.name, description, retry_after_s=retry_after)
    )
    response.headers["Retry-After"] = str(retry_after)
    return response


def _pfsense_error(error: PfsenseError):
    status = next((code for kind, code in STATUS_FOR if isinstance(error, kind)), 400)
    return _respond(status, type(error).__name__, str(error), **_details(error))


def _details(error: PfsenseError) -> dict:
    """What a page needs to point at the input (`field`, and `problem` to show beside it) and,
    for a name already taken, who has it."""
    if not isinstance(error, InvalidInput):
        return {}
    details = {"field": error.field, "label": error.label, "problem": error.problem}
    if isinstance(error, DuplicateName):
        details["existing"] = error.existing
    return details


def _respond(status: int, name: str, message: str | None, **details):
    if request.path.startswith("/api/"):
        return jsonify(error=name, message=message, status=status, **details), status
    return render_template("error.html", status=status, name=name, message=message), status
