"""The Flask app: `create_app` shows the whole app top to bottom."""

from pathlib import Path

from flask import Flask
from werkzeug.routing import BaseConverter, ValidationError

from pfsense.live.service import LiveService
from pfsense.paths import web_dir
from pfsense.store import checks
from pfsense.web import (
    api,
    auth,
    db,
    errors,
    exports,
    felt,
    pages,
    pairing,
    patients,
    security,
    therapist,
)

MAX_REQUEST_BYTES = 64 * 1024  # JSON bodies (pfsense.web.security.json_body)


def create_app(live: LiveService, test_config: dict | None = None) -> Flask:
    """An app serving the live page and API for `live` (started and stopped by the caller)."""
    assets = web_dir()
    app = Flask(
        __name__, template_folder=str(assets / "templates"), static_folder=str(assets / "static")
    )
    # Werkzeug's own cap is the largest body any route takes (an imported recording); JSON
    # routes hold theirs to MAX_REQUEST_BYTES.
    app.config.update(MAX_CONTENT_LENGTH=exports.MAX_IMPORT_BYTES, MAX_JSON_BYTES=MAX_REQUEST_BYTES)
    if test_config:
        app.config.update(test_config)
    app.url_map.converters["id"] = RowIdConverter
    data_dir = app.config.get("PFSENSE_DATA_DIR")
    security.init_app(app, Path(data_dir) if data_dir else None)
    app.extensions["pfsense.live"] = live
    db.init_app(app)
    auth.init_app(app)
    pairing.init_app(app)
    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(patients.bp)
    app.register_blueprint(therapist.bp)
    app.register_blueprint(exports.bp)
    app.register_blueprint(felt.bp)
    felt.apply_stored(app)
    errors.init_app(app)
    return app


class RowIdConverter(BaseConverter):
    """`<id:name>` in a route: a database id, 1 to 2**63 - 1. Anything else names no session
    or patient (a 404), and never reaches SQLite, which cannot hold a larger integer."""

    regex = r"[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= checks.MAX_ROW_ID:
            raise ValidationError()
        return number

    def to_url(self, value: int) -> str:
        return str(int(value))
