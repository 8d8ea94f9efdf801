"""Patients' data on a network: names, histories, traces and session lists are for the
therapist, or for a browser paired once at the device.

`pfsense serve` bound to a non-loopback address (a phone on the Wi-Fi opens the page) makes the
app private: anyone on the network still sees the live force view and can roll, but reading a
patient's data needs the therapist's login or a paired browser. Pairing takes a 6-digit code
that only the device shows: `serve` prints it on its console, and the device's own browser
(loopback) sees it on the live page. The browser then keeps a random token in its cookie, and
the device a hash of it, for a year; the therapist can unpair every browser at once. Bound to
loopback (only the device itself can reach the page) nothing needs pairing, and the device's
own browser never does.
"""

import datetime as dt
import functools
import hashlib
import secrets

from flask import Blueprint, Flask, current_app, jsonify, request, session
from werkzeug.exceptions import Forbidden

from pfsense.store.db import transaction
from pfsense.web import auth
from pfsense.web.db import get_db
from pfsense.web.security import json_body

bp = Blueprint("pairing", __name__, url_prefix="/api/pairing")

CODE_DIGITS = 6
PAIRED_FOR = dt.timedelta(days=365)
SETTING_PREFIX = "paired:"  # + the hash of a paired browser's token, in the settings table
LOOPBACK = ("127.0.0.1", "::1")


def init_app(app: Flask) -> None:
    app.config.setdefault("PFSENSE_PRIVATE", False)
    app.config.setdefault(
        "PFSENSE_PAIRING_CODE", "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
    )
    app.config.setdefault("PERMANENT_SESSION_LIFETIME", PAIRED_FOR)
    app.register_blueprint(bp)


def pairing_code(app: Flask) -> str:
    return app.config["PFSENSE_PAIRING_CODE"]


def may_see_patients() -> bool:
    """Loopback bind, the device's own browser, the therapist, or a paired browser."""
    return (
        not current_app.config["PFSENSE_PRIVATE"]
        or request.remote_addr in LOOPBACK
        or auth.is_therapist()
        or is_paired()
    )


def patient_data(view):
    """A route that shows patients' data: refused (403, saying how to get in) to anyone else."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        refuse_unless_allowed()
        return view(*args, **kwargs)

    return wrapped


def refuse_unless_allowed() -> None:
    if not may_see_patients():
        raise Forbidden(
            "patients' data is only for the therapist or a browser paired at the device: enter "
            "the pairing code the device shows (or log in at /therapist)"
        )


def is_paired() -> bool:
    token = session.get("paired")
    if not isinstance(token, str):
        return False
    row = get_db().execute("SELECT 1 FROM settings WHERE key = ?", (_key(token),)).fetchone()
    return row is not None


@bp.get("")
def state():
    """Whether this browser may see patients' data; at the device, the code to pair others."""
    at_device = request.remote_addr in LOOPBACK
    return jsonify(
        needed=current_app.config["PFSENSE_PRIVATE"],
        paired=may_see_patients(),
        code=pairing_code(current_app) if at_device else None,
    )


@bp.post("")
def pair():
    """`{"code": "123456"}`: a try counted like a PIN's (pfsense.web.auth)."""
    given = json_body(auth.MAX_BODY_BYTES).get("code")
    code = pairing_code(current_app)
    auth.check_secret(
        lambda: auth.same_secret(given, code), "wrong pairing code: use the one the device shows"
    )
    token = secrets.token_urlsafe(24)
    connection = get_db()
    with transaction(connection):
        connection.execute(
            "INSERT INTO settings (key, value) VALUES (?, ?)",
            (_key(token), dt.datetime.now(dt.UTC).isoformat(timespec="seconds")),
        )
    session["paired"] = token
    session.permanent = True  # kept for PAIRED_FOR, across browser restarts
    return jsonify(paired=True)


@bp.delete("")
@auth.therapist_required
def unpair_all():
    """Every paired browser must pair again (a phone lost, a tablet given away)."""
    connection = get_db()
    with transaction(connection):
        gone = connection.execute(
            "DELETE FROM settings WHERE key LIKE ?", (SETTING_PREFIX + "%",)
        ).rowcount
    return jsonify(unpaired=gone)


def _key(token: str) -> str:
    return SETTING_PREFIX + hashlib.sha256(token.encode()).hexdigest()
