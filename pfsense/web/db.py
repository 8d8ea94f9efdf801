"""A database connection per request (sqlite3 connections stay on the thread that made them)."""

from pathlib import Path

from flask import Flask, current_app, g

from pfsense.errors import ConfigError
from pfsense.store.db import connect


def init_app(app: Flask) -> None:
    app.teardown_appcontext(_close)


def get_db():
    if "db" not in g:
        data_dir = current_app.config.get("PFSENSE_DATA_DIR")
        if not data_dir:
            raise ConfigError("this server has no data directory: patients cannot be stored")
        g.db = connect(Path(data_dir))
    return g.db


def _close(_error: BaseException | None) -> None:
    connection = g.pop("db", None)
    if connection is not None:
        connection.close()
