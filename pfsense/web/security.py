"""Request safety: the signed session cookie's secret key, CSRF tokens on every state-changing
request, and JSON bodies checked before anything reads them.

The CSRF scheme is the synchronizer token (as Flask-WTF's): a random token kept in Flask's signed
session cookie is rendered into each page, and every POST, PUT, PATCH or DELETE must send it back
in the X-CSRF-Token header. Another site can make a browser send the cookie, but cannot read the
token. The cookie is SameSite=Strict as a second line.
"""

import hmac
import json
import os
import secrets
from pathlib import Path

from flask import Flask, current_app, request, session
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

SECRET_KEY_FILE = "secret_key"
CSRF_HEADER = "X-CSRF-Token"
CSRF_SESSION_KEY = "csrf_token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def init_app(app: Flask, data_dir: Path | None) -> None:
    """Secret key (from the data directory when there is one), cookie settings, CSRF check."""
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = (
            load_secret_key(data_dir) if data_dir is not None else secrets.token_hex(32)
        )
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Strict")
    app.before_request(_check_csrf)
    app.jinja_env.globals["csrf_token"] = csrf_token


def load_secret_key(data_dir: Path) -> str:
    """The app's secret key, made on first run and kept owner-only (0600) in the data directory,
    so that sessions survive a restart and no two installs share a key."""
    path = data_dir / SECRET_KEY_FILE
    try:
        key = path.read_text(encoding="ascii").strip()
        if len(key) >= 32:
            return key
    except FileNotFoundError:
        pass
    key = secrets.token_hex(32)
    data_dir.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    with open(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as file:
        file.write(key + "\n")
    os.replace(partial, path)
    return key


def csrf_token() -> str:
    """This browser's CSRF token, made on first use."""
    if CSRF_SESSION_KEY not in session:
        session[CSRF_SESSION_KEY] = secrets.token_urlsafe(32)
    return session[CSRF_SESSION_KEY]


def _check_csrf() -> None:
    if request.method not in UNSAFE_METHODS or request.routing_exception is not None:
        return  # unknown routes and methods get their own 404 or 405
    sent = request.headers.get(CSRF_HEADER, "")
    expected = session.get(CSRF_SESSION_KEY, "")
    if not sent or not expected or not hmac.compare_digest(sent, expected):
        raise BadRequest(
            f"missing or wrong CSRF token: send the page's token in the {CSRF_HEADER} header "
            "(reload the page to get a fresh one)"
        )


def json_body(limit_bytes: int | None = None) -> dict:
    """The request's JSON object, or a 400 that says what is wrong with it: not JSON, too big
    (over `limit_bytes`, else the app's MAX_JSON_BYTES), malformed (with line and column), or not
    an object. An empty body is an empty object."""
    limit_bytes = limit_bytes or current_app.config["MAX_JSON_BYTES"]
    length = request.content_length
    if length is not None and length > limit_bytes:
        raise BadRequest(f"request body is {length} bytes; at most {limit_bytes} are accepted")
    try:
        raw = request.get_data(cache=True)
    except RequestEntityTooLarge:
        raise BadRequest(f"request body is over the {limit_bytes}-byte limit") from None
    if not raw.strip():
        return {}
    if not request.is_json:
        raise BadRequest(
            f"expected a JSON body (Content-Type: application/json), got {request.mimetype!r}"
        )
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        where = f" at line {error.lineno}, column {error.colno}" if hasattr(error, "lineno") else ""
        reason = error.msg if hasattr(error, "msg") else "not UTF-8"
        raise BadRequest(f"request body is not valid JSON: {reason}{where}") from None
    except RecursionError:
        raise BadRequest("request body is nested too deeply; pfsense's requests are flat") from None
    except ValueError:  # an integer of more than 4,300 digits (Python's limit)
        raise BadRequest("request body has a number with too many digits") from None
    if not isinstance(body, dict):
        raise BadRequest(f"expected a JSON object, got {type(body).__name__}")
    return body
