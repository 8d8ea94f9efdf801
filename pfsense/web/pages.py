"""HTML pages."""

from flask import Blueprint, current_app, render_template

bp = Blueprint("pages", __name__)


@bp.get("/")
def index():
    live = current_app.extensions["pfsense.live"]
    band = live.processor.tracker.config.target_band_n
    return render_template("index.html", sensor=live.sensor.describe(), band=band)
