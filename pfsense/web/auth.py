"""Therapist mode: the PIN (set on first use), login into Flask's signed session cookie with an
idle timeout, and a throttle on wrong PINs. Anything that changes or exports a patient's data is
behind `therapist_required`; the patient's side (live page, starting a routine) is not."""

import functools
import time
from collections import OrderedDict

from flask import Blueprint, Flask, current_app, jsonify, request, session
from werkzeug.exceptions import Forbidden, TooManyRequests, Unauthorized

from pfsense.store import pin as pins
from pfsense.web.db import get_db
from pfsense.web.security import json_body

bp = Blueprint("auth", __name__, url_prefix="/api/therapist")

IDLE_TIMEOUT_S = 30 * 60  # a therapist who walks away is logged out after half an hour
FREE_ATTEMPTS = 5
LOCKOUT_S = 30.0  # doubles with each further wrong PIN, up to LOCKOUT_MAX_S
LOCKOUT_MAX_S = 15 * 60.0
MAX_TRACKED_CLIENTS = 1000
MAX_BODY_BYTES = 4096


class LoginThrottle:
    """Wrong PINs per client address: after FREE_ATTEMPTS, each further attempt waits longer.
    Bounded: the least recently seen clients are forgotten first."""

    def __init__(self) -> None:
        self._clients: OrderedDict[str, tuple[int, float]] = OrderedDict()

    def wait_s(self, client: str, now: float) -> float:
        _failures, locked_until = self._clients.get(client, (0, 0.0))
        return max(0.0, locked_until - now)

    def failed(self, client: str, now: float) -> None:
        failures, _ = self._clients.pop(client, (0, 0.0))
        failures += 1
        extra = failures - FREE_ATTEMPTS
        lock_s = 0.0 if extra < 0 else min(LOCKOUT_MAX_S, LOCKOUT_S * 2**extra)
        self._clients[client] = (failures, now + lock_s)
        while len(self._clients) > MAX_TRACKED_CLIENTS:
            self._clients.popitem(last=False)

    def succeeded(self, client: str) -> None:
        self._clients.pop(client, None)


def init_app(app: Flask) -> None:
    app.extensions["pfsense.login_throttle"] = LoginThrottle()
    app.register_blueprint(bp)


def is_therapist() -> bool:
    until = session.get("therapist_until", 0.0)
    if until <= time.time():
        session.pop("therapist_until", None)
        return False
    session["therapist_until"] = time.time() + IDLE_TIMEOUT_S
    return True


def therapist_required(view):
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if not is_therapist():
            raise Unauthorized("the therapist's PIN is needed for this: log in at /therapist")
        return view(*args, **kwargs)

    return wrapped


@bp.get("/")
def state():
    return jsonify(pin_set=pins.pin_is_set(get_db()), logged_in=is_therapist())


@bp.post("/pin")
def set_pin():
    """The first PIN needs nothing; changing it needs a login and the current PIN."""
    body = json_body(MAX_BODY_BYTES)
    connection = get_db()
    if pins.pin_is_set(connection):
        if not is_therapist():
            raise Unauthorized("log in with the current PIN to change it")
        if not pins.pin_matches(connection, body.get("current_pin")):
            raise Forbidden("the current PIN is wrong")
    pins.set_pin(connection, body.get("pin"))
    _log_in()
    return jsonify(pin_set=True, logged_in=True)


@bp.post("/login")
def login():
    body = json_body(MAX_BODY_BYTES)
    client = request.remote_addr or "?"
    throttle = current_app.extensions["pfsense.login_throttle"]
    now = time.monotonic()
    if (wait_s := throttle.wait_s(client, now)) > 0:
        raise TooManyRequests(f"too many wrong PINs: try again in {wait_s:.0f} s")
    connection = get_db()
    if not pins.pin_is_set(connection):
        raise Forbidden("no PIN is set yet: set one first")
    if not pins.pin_matches(connection, body.get("pin")):
        throttle.failed(client, now)
        raise Forbidden("wrong PIN")
    throttle.succeeded(client)
    _log_in()
    return jsonify(logged_in=True)


@bp.post("/logout")
def logout():
    session.pop("therapist_until", None)
    return jsonify(logged_in=False)


def _log_in() -> None:
    session["therapist_until"] = time.time() + IDLE_TIMEOUT_S
