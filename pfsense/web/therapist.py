"""The therapist's side: the page, target by demonstration, and the sensor calibration wizard.
Everything here that changes something needs the therapist (pfsense.web.auth)."""

from flask import Blueprint, current_app, jsonify, render_template

from pfsense.calibration.wizard import CAPTURE_S, CalibrationWizard, spots_mm
from pfsense.dsp.demonstration import DEFAULT_TOLERANCE, DEMONSTRATION_S, TOLERANCE_RANGE
from pfsense.errors import CalibrationError
from pfsense.store import checks
from pfsense.store.calibrations import calibration_history
from pfsense.web.auth import therapist_required
from pfsense.web.db import get_db
from pfsense.web.security import json_body

bp = Blueprint("therapist", __name__)


@bp.get("/therapist")
def page():
    return render_template("therapist.html", sensor=_live().snapshot.sensor)


@bp.get("/patients/<id:patient_id>")
def patient_page(patient_id: int):
    return render_template("patient.html", patient_id=patient_id)


@bp.post("/api/demonstration")
@therapist_required
def demonstrate():
    """`{"seconds": 15, "tolerance": 0.2}`: watch the therapist press, propose a target."""
    body = json_body()
    seconds = checks.number(
        "seconds", body.get("seconds", 15.0), *DEMONSTRATION_S, " s", "Demonstration length (s)"
    )
    # A fraction here, a percentage on the page: the message says it as the page asks for it.
    tolerance = checks.percent(
        "tolerance", body.get("tolerance", DEFAULT_TOLERANCE), *TOLERANCE_RANGE, "Tolerance ± (%)"
    )
    return jsonify(proposal=_live().demonstrate(seconds, tolerance))


@bp.get("/api/calibration")
@therapist_required
def calibration_state():
    wizard = current_app.extensions.get("pfsense.wizard")
    return jsonify(
        wizard=_describe(wizard) if wizard else None,
        history=calibration_history(get_db()),
        current=_live().status()["calibration"],
    )


@bp.post("/api/calibration/start")
@therapist_required
def start_calibration():
    """`{"weight_n": 98.1}`: a new wizard with the known weight to be used."""
    live = _live()
    weight_n = checks.number(
        "weight_n", json_body().get("weight_n"), 1.0, 2000.0, " N", "Known weight (N)"
    )
    wizard = CalibrationWizard(
        live.sensor.layout, live.sensor.rate_hz, weight_n, live.sensor.nominal_calibration
    )
    current_app.extensions["pfsense.wizard"] = wizard
    return jsonify(wizard=_describe(wizard))


@bp.post("/api/calibration/step")
@therapist_required
def calibration_step():
    """Take the next step (tare, or the weight at the next spot) from the next 2 s of samples."""
    wizard = _wizard()
    batch = _live().capture(CAPTURE_S)
    if wizard.offsets is None:
        wizard.tare(batch)
    else:
        wizard.place(batch)
    return jsonify(wizard=_describe(wizard))


@bp.post("/api/calibration/save")
@therapist_required
def save_calibration():
    wizard = _wizard()
    calibration, check = wizard.result()
    if check is not None and not check.passed:
        raise CalibrationError(
            "the plate check failed: the weight read up to "
            f"{max(check.position_error_mm):.1f} mm and {max(check.force_error_fraction):.1%} "
            "off; check that the weight sat on the marks and nothing touched, then start again"
        )
    _live().apply_calibration(calibration)
    current_app.extensions.pop("pfsense.wizard")
    return jsonify(
        calibration={"counts_per_n": calibration.counts_per_n, "source": calibration.source},
        check=_check(check),
    )


def _wizard() -> CalibrationWizard:
    wizard = current_app.extensions.get("pfsense.wizard")
    if wizard is None:
        raise CalibrationError("start the calibration first, with the weight you will use")
    return wizard


def _describe(wizard: CalibrationWizard) -> dict:
    return {
        "weight_n": wizard.weight_n,
        "next_step": wizard.next_step,
        "spots_mm": spots_mm(wizard.layout),
        "weighed": len(wizard.placements),
        "tared": wizard.offsets is not None,
    }


def _check(check) -> dict | None:
    if check is None:
        return None
    return {
        "passed": check.passed,
        "position_error_mm": [round(v, 2) for v in check.position_error_mm],
        "force_error_fraction": [round(v, 4) for v in check.force_error_fraction],
    }


def _live():
    return current_app.extensions["pfsense.live"]
