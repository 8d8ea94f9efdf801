"""HTML pages."""

from flask import Blueprint, current_app, render_template

from pfsense.doses import DEFAULT_TARGET_BAND_N

bp = Blueprint("pages", __name__)


@bp.get("/")
def index():
    live = current_app.extensions["pfsense.live"]
    return render_template("index.html", sensor=live.sensor.describe(), band=DEFAULT_TARGET_BAND_N)
