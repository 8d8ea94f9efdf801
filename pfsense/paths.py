"""Where pfsense keeps its data, and where its web files are."""

import os
from importlib import resources
from pathlib import Path

import platformdirs

from pfsense.errors import ConfigError

ENV_HOME = "PFSENSE_HOME"


def data_dir(explicit: str | os.PathLike | None = None) -> Path:
    """--data-dir, else $PFSENSE_HOME, else the per-user data directory (created, owner-only)."""
    chosen = (
        explicit
        or os.environ.get(ENV_HOME)
        or platformdirs.user_data_dir("pfsense", appauthor=False)
    )
    path = Path(chosen).expanduser()
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)  # patients' data: nobody else's to read
    except OSError as error:
        raise ConfigError(f"cannot use data directory {path}: {error.strerror}") from None
    if not path.is_dir():
        raise ConfigError(f"data directory {path} is not a directory")
    return path


def web_dir() -> Path:
    """The page's templates and static files: inside the installed package, or the source tree's
    top-level web/ for an editable install."""
    installed = Path(str(resources.files("pfsense"))) / "_web"
    if installed.is_dir():
        return installed
    return Path(__file__).resolve().parent.parent / "web"
