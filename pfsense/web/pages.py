"""HTML pages."""

from flask import Blueprint, current_app, render_template

from pfsense.clinical import doses

bp = Blueprint("pages", __name__)


@bp.get("/")
def index():
    live = current_app.extensions["pfsense.live"]
    band = live.snapshot.target_band_n
    cadence = doses.SELF_PACED_CADENCE_PER_MIN  # until a therapist sets the patient's own
    return render_template("index.html", sensor=live.snapshot.sensor, band=band, cadence=cadence)
