"""Therapist mode: the PIN (the first one set with a code from the device's console, or at the
device), logins kept server-side with an idle timeout, and a throttle on wrong PINs that holds
across threads and addresses. Anything that changes or exports a patient's data is
behind `therapist_required`; the patient's side (live page, starting a routine) is not."""

import functools
import hmac
import math
import secrets
import threading
import time
from collections import OrderedDict

from flask import Blueprint, Flask, current_app, jsonify, request, session
from werkzeug.exceptions import BadRequest, Forbidden, TooManyRequests, Unauthorized

from pfsense.store import pin as pins
from pfsense.web.db import get_db
from pfsense.web.security import json_body

bp = Blueprint("auth", __name__, url_prefix="/api/therapist")

IDLE_TIMEOUT_S = 30 * 60  # a therapist who walks away is logged out after half an hour
FREE_ATTEMPTS = 5  # per address, before each further wrong PIN waits longer
LOCKOUT_S = 30.0  # doubles with each further wrong PIN, up to LOCKOUT_MAX_S
LOCKOUT_MAX_S = 15 * 60.0
# The whole network's budget, whatever addresses the tries come from: a burst of GLOBAL_BURST,
# then one try every GLOBAL_REFILL_S. A year of trying gets at most 10 + 8,766 = 8,776 tries:
# fewer than the 10,000 PINs of 4 digits (a 6-digit PIN would take over a century).
GLOBAL_BURST = 10
GLOBAL_REFILL_S = 3600.0
MAX_TRACKED_CLIENTS = 1000  # beyond it only addresses no longer locked are forgotten
MAX_LOGINS = 64  # a therapist's browsers; the oldest go first
MAX_BODY_BYTES = 4096
SETUP_CODE_DIGITS = 6


_UNSEEN = object()


class LoginThrottle:
    """Tries at the PIN (logins, PIN changes, the first PIN's setup code). A try is counted
    before the slow hash is checked, under a lock, so concurrent tries cannot slip past it:
    per address, FREE_ATTEMPTS and then a doubling wait; for the whole device, a budget that
    refills slowly. A right PIN gives its try back."""

    def __init__(self, now: float | None = None) -> None:
        self._clients: OrderedDict[str, tuple[int, float]] = OrderedDict()
        self._lock = threading.Lock()
        self._tokens = float(GLOBAL_BURST)
        self._refilled = time.monotonic() if now is None else now
        self._stamp: object = _UNSEEN  # the PIN the tries were at

    def begin(self, client: str, now: float) -> None:
        """Count a try, or refuse it with how long to wait (429)."""
        with self._lock:
            failures, locked_until = self._clients.get(client, (0, 0.0))
            if locked_until > now:
                wait_s = math.ceil(locked_until - now)
                raise TooManyRequests(
                    f"too many wrong PINs from here: try again in {wait_s} s",
                    retry_after=wait_s,  # the page counts it down
                )
            self._refill(now)
            if self._tokens < 1.0:
                wait_s = math.ceil((1.0 - self._tokens) * GLOBAL_REFILL_S)
                raise TooManyRequests(
                    f"too many wrong PINs on this device: try again in {math.ceil(wait_s / 60)} "
                    "min, or reset the PIN at the device (pfsense therapist reset-pin)",
                    retry_after=wait_s,
                )
            self._tokens -= 1.0
            failures += 1
            extra = failures - FREE_ATTEMPTS
            lock_s = 0.0 if extra < 0 else min(LOCKOUT_MAX_S, LOCKOUT_S * 2**extra)
            self._clients.pop(client, None)
            self._clients[client] = (failures, now + lock_s)
            self._forget_unlocked(now)

    def new_pin(self, stamp: str | None) -> None:
        """A PIN set since the last try (`pfsense therapist reset-pin` at the device): every
        lock and the device's budget start afresh, so the reset is the way back in."""
        with self._lock:
            if stamp == self._stamp:
                return
            if self._stamp is not _UNSEEN:
                self._clients.clear()
                self._tokens = float(GLOBAL_BURST)
            self._stamp = stamp

    def succeeded(self, client: str) -> None:
        """The try was right: the address starts afresh and the device gets its try back."""
        with self._lock:
            self._clients.pop(client, None)
            self._tokens = min(float(GLOBAL_BURST), self._tokens + 1.0)

    def _refill(self, now: float) -> None:
        self._tokens = min(
            float(GLOBAL_BURST), self._tokens + (now - self._refilled) / GLOBAL_REFILL_S
        )
        self._refilled = now

    def _forget_unlocked(self, now: float) -> None:
        """Bounded memory without forgetting a lock early: only addresses whose lock is over
        go, the least recently seen first. Locked ones are few: each took a try from the
        device's budget."""
        excess = len(self._clients) - MAX_TRACKED_CLIENTS
        if excess <= 0:
            return
        for client in [c for c, (_, until) in self._clients.items() if until <= now][:excess]:
            del self._clients[client]


class Logins:
    """Therapist logins, kept here as well as in the browser's cookie, so that logging out, a
    new PIN and the idle timeout end them: a copied or old cookie alone opens nothing. Each
    login also remembers the PIN it was made with (its stored hash): a PIN changed anywhere,
    the command line included, ends every login made with the old one."""

    def __init__(self) -> None:
        self._logins: OrderedDict[str, tuple[float, str]] = OrderedDict()
        self._lock = threading.Lock()

    def start(self, pin_stamp: str, now: float) -> str:
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._logins[token] = (now + IDLE_TIMEOUT_S, pin_stamp)
            while len(self._logins) > MAX_LOGINS:
                self._logins.popitem(last=False)
        return token

    def check(self, token: object, pin_stamp: str | None, now: float) -> bool:
        """Whether the login is live (and if so, good for another IDLE_TIMEOUT_S)."""
        if not isinstance(token, str):
            return False
        with self._lock:
            entry = self._logins.get(token)
            if entry is None:
                return False
            until, stamp = entry
            if until <= now or pin_stamp is None or not hmac.compare_digest(stamp, pin_stamp):
                del self._logins[token]
                return False
            self._logins[token] = (now + IDLE_TIMEOUT_S, stamp)
            return True

    def end(self, token: object) -> None:
        with self._lock:
            self._logins.pop(token, None)

    def end_all(self) -> None:
        with self._lock:
            self._logins.clear()


def init_app(app: Flask) -> None:
    app.extensions["pfsense.login_throttle"] = LoginThrottle()
    app.extensions["pfsense.logins"] = Logins()
    # The first PIN needs this code, which `pfsense serve` prints on the device's console:
    # whoever reaches the page first on the network cannot make themselves the therapist.
    app.config.setdefault(
        "PFSENSE_SETUP_CODE",
        "".join(secrets.choice("0123456789") for _ in range(SETUP_CODE_DIGITS)),
    )
    app.register_blueprint(bp)


def setup_code(app: Flask) -> str | None:
    """The code the first PIN needs, while no PIN is set (for `serve` to print)."""
    return app.config.get("PFSENSE_SETUP_CODE")


def is_therapist() -> bool:
    logins: Logins = current_app.extensions["pfsense.logins"]
    token = session.get("therapist")
    if token is None:
        return False
    if logins.check(token, pins.stored_stamp(get_db()), time.monotonic()):
        return True
    session.pop("therapist", None)
    return False


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
    """The first PIN needs the setup code from the device's console; changing it needs a login
    and the current PIN. Either way the new PIN comes twice, and every other login ends."""
    body = json_body(MAX_BODY_BYTES)
    connection = get_db()
    if pins.pin_is_set(connection):
        if not is_therapist():
            raise Unauthorized("log in with the current PIN to change it")
        check_secret(lambda: pins.pin_matches(connection, body.get("current_pin")),
                      "the current PIN is wrong")  # fmt: skip
    else:
        code = setup_code(current_app)
        given = body.get("setup_code")
        check_secret(
            lambda: code is not None and same_secret(given, code),
            "wrong setup code: use the one `pfsense serve` printed on the device's console, or "
            "set the PIN there with `pfsense therapist set-pin`",
        )
    new_pin = pins.checked_pin(body.get("pin"))
    if "pin_again" in body and body.get("pin_again") != new_pin:
        raise BadRequest("the two new PINs differ: type the same PIN twice")
    pins.set_pin(connection, new_pin)
    current_app.extensions["pfsense.logins"].end_all()
    _log_in()
    return jsonify(pin_set=True, logged_in=True)


@bp.post("/login")
def login():
    body = json_body(MAX_BODY_BYTES)
    connection = get_db()
    if not pins.pin_is_set(connection):
        raise Forbidden("no PIN is set yet: set one first")
    check_secret(lambda: pins.pin_matches(connection, body.get("pin")), "wrong PIN")
    _log_in()
    return jsonify(logged_in=True)


@bp.post("/logout")
def logout():
    current_app.extensions["pfsense.logins"].end(session.pop("therapist", None))
    return jsonify(logged_in=False)


def same_secret(given: object, expected: str) -> bool:
    """A code compared in constant time; anything but ASCII text (a lone surrogate) is wrong."""
    if not isinstance(given, str) or not given.isascii():
        return False
    return hmac.compare_digest(given.strip().encode(), expected.encode())


def check_secret(matches, wrong: str) -> None:
    """One counted try at a secret: refused (429) past the budget, else checked; 403 if wrong."""
    throttle: LoginThrottle = current_app.extensions["pfsense.login_throttle"]
    client = request.remote_addr or "?"
    throttle.new_pin(pins.stored_stamp(get_db()))  # reset at the device: the budget is whole
    throttle.begin(client, time.monotonic())
    if not matches():
        raise Forbidden(wrong)
    throttle.succeeded(client)


def _log_in() -> None:
    logins: Logins = current_app.extensions["pfsense.logins"]
    session.pop("therapist_until", None)  # an older pfsense's cookie login opens nothing now
    session["therapist"] = logins.start(pins.stored_stamp(get_db()), time.monotonic())
