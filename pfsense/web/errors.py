"""Error pages: JSON under /api, HTML elsewhere."""

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http_error)


def _http_error(error: HTTPException):
    if request.path.startswith("/api/"):
        return jsonify(error=error.name, message=error.description, status=error.code), error.code
    return render_template("error.html", error=error), error.code
