"""A session on the live page: from Start to Stop, its raw samples go to a recording in the data
directory (flushed batch by batch, so a crash loses at most the last batch) and its features start
from zero. Stop gives the session's report.
"""

import datetime as dt
import logging
from pathlib import Path

from pfsense.calibration import Calibration
from pfsense.errors import ConfigError
from pfsense.recording import RecordingWriter
from pfsense.sensors.base import Sensor
from pfsense.sensors.batch import Batch

log = logging.getLogger(__name__)


class LiveSession:
    """One running session; `recordings_dir=None` keeps no recording (tests, replays)."""

    def __init__(
        self, sensor: Sensor, calibration: Calibration, recordings_dir: Path | None
    ) -> None:
        self.started_at = dt.datetime.now(dt.UTC)
        self.first_t_s: float | None = None
        self.last_t_s: float | None = None
        self.problem = ""
        self.writer: RecordingWriter | None = None
        if recordings_dir is not None:
            self.writer = _open_writer(sensor, calibration, recordings_dir, self.started_at)

    def write(self, batch: Batch) -> None:
        if len(batch):
            self.first_t_s = float(batch.t_s[0]) if self.first_t_s is None else self.first_t_s
            self.last_t_s = float(batch.t_s[-1])
        if self.writer is None:
            return
        try:
            self.writer.write(batch)
        except OSError as error:  # a full card must not stop the live page: say so, keep going
            self.problem = f"the recording stopped: {error.strerror or error}"
            log.error("%s: %s", self.writer.path, self.problem)
            self.writer.close()
            self.writer = None

    @property
    def duration_s(self) -> float:
        if self.first_t_s is None or self.last_t_s is None:
            return 0.0
        return self.last_t_s - self.first_t_s

    def describe(self) -> dict:
        return {
            "started_at": self.started_at.isoformat(timespec="seconds"),
            "duration_s": round(self.duration_s, 1),
            "recording": self.writer.path.name if self.writer else None,
            "problem": self.problem,
        }

    def close(self) -> dict:
        """End the session; what status and the page show about it afterwards."""
        described = self.describe()
        if self.writer is not None:
            self.writer.close()
        return {**described, "ended_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}


def _open_writer(
    sensor: Sensor, calibration: Calibration, recordings_dir: Path, started_at: dt.datetime
) -> RecordingWriter:
    try:
        recordings_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(f"cannot create {recordings_dir}: {error.strerror}") from None
    stem = f"session-{started_at:%Y%m%d-%H%M%S}"
    path = recordings_dir / f"{stem}.csv"
    number = 1
    while path.exists():  # two sessions in one second: keep both
        number += 1
        path = recordings_dir / f"{stem}-{number}.csv"
    return RecordingWriter(path, sensor.layout, sensor.rate_hz, calibration, sensor.name)
