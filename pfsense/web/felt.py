"""A band by feel (issue 13): the person presses at "firm but comfortable", then at "strong but
tolerable", a few seconds each; the band between the two replaces the default for them.

The presses are measured and kept here, on the server: the band saved is the one measured,
never numbers a browser sends (someone on the same Wi-Fi must not set a band that hurts). The
device's own band (no patient chosen) needs the device, a paired browser or the therapist; a
patient's is their target, so it needs the therapist's PIN like any change to it."""

import logging
import threading
import time
from dataclasses import replace
from pathlib import Path

from flask import Blueprint, current_app, jsonify

from pfsense.clinical import doses
from pfsense.clinical.techniques import Technique
from pfsense.dsp.felt_band import felt_band
from pfsense.errors import ConfigError, InvalidInput, LiveStateError
from pfsense.store import checks, patients, targets
from pfsense.store import felt_band as stored
from pfsense.store.db import connect
from pfsense.web.auth import is_therapist
from pfsense.web.db import get_db
from pfsense.web.pairing import refuse_unless_allowed
from pfsense.web.security import csrf_token, json_body

log = logging.getLogger(__name__)
bp = Blueprint("felt", __name__, url_prefix="/api/feel")

PRESS_KEPT_S = 600.0  # two presses ten minutes apart are not one sitting's
MAX_BROWSERS = 16  # a household's or a clinic's phones: memory bounded whoever presses
_PRESSES_LOCK = threading.Lock()


@bp.post("/press")
def press():
    """`{"level": "comfortable" | "strong"}`: measure the next FEEL_PRESS_S of pressing."""
    refuse_unless_allowed()
    level = checks.choice("level", json_body().get("level"), doses.FEEL_LEVELS)
    measured = _live().measure_press(doses.FEEL_PRESS_S)
    _presses()[level] = {**measured, "at_mono": time.monotonic()}
    return jsonify(level=level, **measured)


@bp.post("/band")
def save():
    """The band between the two presses just measured: the device's own, or with
    `{"patient_id": N}` that patient's rolling target (the therapist's PIN needed)."""
    refuse_unless_allowed()
    body = json_body()
    comfortable_n, strong_n = (_recent_press(level) for level in doses.FEEL_LEVELS)
    band_n = felt_band(comfortable_n, strong_n)
    presses_n = {"comfortable": comfortable_n, "strong": strong_n}
    if body.get("patient_id") is not None:
        return jsonify(band_n=list(band_n), patient_id=_save_for_patient(body, band_n))
    kept = stored.save_felt_band(get_db(), band_n, presses_n)
    _live().use_own_band(band_n, own_source(kept))
    _presses().clear()
    return jsonify(band_n=list(band_n), set_at=kept["set_at"])


@bp.delete("/band")
def forget():
    """Back to the default band for sessions with no patient."""
    refuse_unless_allowed()
    stored.forget_felt_band(get_db())
    _live().use_own_band(None, {"source": "default"})
    return jsonify(band_n=None)


def own_source(kept: dict) -> dict:
    return {"source": "felt", "set_at": kept["set_at"]}


def _save_for_patient(body: dict, band_n: tuple[float, float]) -> int:
    patient_id = checks.row_id("patient_id", body["patient_id"])
    if not is_therapist():
        raise LiveStateError(
            "a patient's band is their therapist's to set: ask them to log in at /therapist, "
            "or choose 'no one in particular' to keep this band on the device"
        )
    connection = get_db()
    patients.get_patient(connection, patient_id)  # a clear 404 for an unknown patient
    old = targets.targets_for(connection, patient_id)[Technique.ROLLING]
    targets.set_target(connection, patient_id, replace(old, band_n=band_n, source="felt"))
    _presses().clear()
    return patient_id


def _recent_press(level: str) -> float:
    press = _presses().get(level)
    if press is None or time.monotonic() - press["at_mono"] > PRESS_KEPT_S:
        raise InvalidInput(
            level, f"measure the '{doses.FEEL_LEVELS[level]}' press first (within ten minutes)"
        )
    return press["force_n"]


def _presses() -> dict:
    """This browser's presses (by its CSRF token): a band is made only from the presses of
    the browser that saves it, never from one another paired browser took in between. Kept
    for at most MAX_BROWSERS browsers, the least recently used dropped."""
    by_browser = current_app.extensions.setdefault("pfsense.presses", {})
    token = csrf_token()
    with _PRESSES_LOCK:  # web threads
        presses = by_browser.pop(token, {})
        by_browser[token] = presses  # now the most recently used
        while len(by_browser) > MAX_BROWSERS:
            del by_browser[next(iter(by_browser))]
    return presses


def _live():
    return current_app.extensions["pfsense.live"]


def apply_stored(app) -> None:
    """At start: the device's band by feel, if one was set, for sessions with no patient (the
    service is not running yet). A store that cannot be opened is reported by the pages that
    need it; the default band stands meanwhile."""
    data_dir = app.config.get("PFSENSE_DATA_DIR")
    if not data_dir:
        return
    try:
        connection = connect(Path(data_dir))
    except ConfigError as error:
        log.warning("the band by feel could not be read: %s", error)
        return
    try:
        kept = stored.felt_band(connection)
    finally:
        connection.close()
    if kept:
        app.extensions["pfsense.live"].set_own_band_before_start(kept["band_n"], own_source(kept))
