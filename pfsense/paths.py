"""Where pfsense keeps its data, and where its web files are."""

import os
from importlib import resources
from pathlib import Path

import platformdirs

from pfsense.errors import ConfigError

ENV_HOME = "PFSENSE_HOME"
RECORDINGS_DIR = "recordings"  # sessions' raw samples, inside the data directory


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


def recordings_dir(data_dir: Path) -> Path:
    """The data directory's recordings folder, created owner-only."""
    folder = data_dir / RECORDINGS_DIR
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(f"cannot create {folder}: {error.strerror}") from None
    return folder


def unused_path(folder: Path, stem: str, suffix: str = ".csv") -> Path:
    """folder/stem.csv, or stem-2.csv, stem-3.csv, ... if taken: nothing is overwritten."""
    path, number = folder / f"{stem}{suffix}", 1
    while path.exists():
        number += 1
        path = folder / f"{stem}-{number}{suffix}"
    return path


def web_dir() -> Path:
    """The page's templates and static files: inside the installed package, or the source tree's
    top-level web/ for an editable install."""
    installed = Path(str(resources.files("pfsense"))) / "_web"
    if installed.is_dir():
        return installed
    return Path(__file__).resolve().parent.parent / "web"
