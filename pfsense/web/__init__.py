"""The Flask app: `create_app` shows the whole app top to bottom."""

from pathlib import Path

from flask import Flask

from pfsense.live import LiveService
from pfsense.paths import web_dir
from pfsense.web import api, errors, pages, security

MAX_REQUEST_BYTES = 64 * 1024


def create_app(live: LiveService, test_config: dict | None = None) -> Flask:
    """An app serving the live page and API for `live` (started and stopped by the caller)."""
    assets = web_dir()
    app = Flask(
        __name__, template_folder=str(assets / "templates"), static_folder=str(assets / "static")
    )
    app.config.update(MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES, JSON_SORT_KEYS=False)
    if test_config:
        app.config.update(test_config)
    data_dir = app.config.get("PFSENSE_DATA_DIR")
    security.init_app(app, Path(data_dir) if data_dir else None)
    app.extensions["pfsense.live"] = live
    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    errors.init_app(app)
    return app
