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
    _owner_only(path)
    return path


def _owner_only(folder: Path) -> None:
    """An existing folder of ours that others can read (0755 from an older pfsense, or made by
    hand) is made 0700; one owned by someone else is left as it is (not ours to change)."""
    try:
        mode = folder.stat().st_mode
        if mode & 0o077 and folder.stat().st_uid == os.getuid():
            folder.chmod(0o700)
    except OSError:
        pass  # unreadable or read-only: the first write says so with the reason


class DataDirLock:
    """One server per data directory: a lock on `serve.lock` inside it, held while serving.
    A second `pfsense serve` on the same directory is refused (it would mark the first one's
    live session interrupted, and both would write the same sessions)."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "serve.lock"
        self._file = None

    def acquire(self) -> None:
        import fcntl

        descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.read(descriptor, 32).decode(errors="replace").strip() or "another process"
            os.close(descriptor)
            raise ConfigError(
                f"another pfsense serve (pid {holder}) is using {self.path.parent}; stop it "
                "first, or give this one its own --data-dir"
            ) from None
        os.ftruncate(descriptor, 0)
        os.write(descriptor, str(os.getpid()).encode())
        self._file = descriptor

    def release(self) -> None:
        if self._file is not None:
            os.close(self._file)  # closing drops the lock
            self._file = None


def recordings_dir(data_dir: Path) -> Path:
    """The data directory's recordings folder, created owner-only."""
    folder = data_dir / RECORDINGS_DIR
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(f"cannot create {folder}: {error.strerror}") from None
    _owner_only(folder)
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
