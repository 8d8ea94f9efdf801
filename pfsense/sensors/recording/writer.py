"""Writing a recording in the pfsense format, batch by batch."""

import contextlib
import datetime as dt
import os
from pathlib import Path
from typing import TextIO

from pfsense.calibration.model import Calibration
from pfsense.errors import ConfigError
from pfsense.sensors.batch import Batch
from pfsense.sensors.layout import Layout
from pfsense.sensors.recording.pfsense_format import MAGIC, data_columns


class RecordingWriter:
    """Writes a recording batch by batch, flushing each so a crash loses at most the last batch."""

    def __init__(
        self,
        path: str | os.PathLike,
        layout: Layout,
        rate_hz: float,
        calibration: Calibration,
        sensor: str,
    ) -> None:
        self.path = Path(path)
        self.layout = layout
        self.samples = 0
        try:
            # Owner-only from the first byte: a session's raw samples are a patient's data.
            descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            self._file: TextIO = open(descriptor, "w", newline="", encoding="utf-8")  # noqa: SIM115
        except OSError as error:
            raise ConfigError(f"cannot write recording {self.path}: {error.strerror}") from None
        meta = {
            "layout": layout.name,
            "channels": ",".join(layout.channels),
            "rate_hz": f"{rate_hz:g}",
            "plate_mm": f"{layout.plate_width_mm:g}x{layout.plate_length_mm:g}"
            if layout.is_plate
            else "",
            "offset_counts": ",".join(repr(float(v)) for v in calibration.offset_counts),
            "counts_per_n": ",".join(repr(float(v)) for v in calibration.counts_per_n),
            "calibration_source": calibration.source,
            "sensor": sensor,
            "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        lines = [MAGIC, *(f"# {key}: {value}" for key, value in meta.items() if value)]
        try:
            self._file.write(
                "\n".join(lines) + "\n" + ",".join(data_columns(layout.channels)) + "\n"
            )
            self._file.flush()
        except OSError as error:  # a full disk: no empty or half-headed file is left behind
            self.close()
            self.path.unlink(missing_ok=True)
            raise ConfigError(f"cannot write recording {self.path}: {error.strerror}") from None

    def write(self, batch: Batch) -> None:
        rows = zip(
            batch.t_s.tolist(), batch.acquired_at.tolist(), batch.seq.tolist(),
            batch.counts.tolist(), batch.flags.tolist(), strict=True,
        )  # fmt: skip
        self._file.write(
            "".join(
                f"{t!r},{at!r},{seq},{','.join(map(str, counts))},{','.join(map(str, flags))}\n"
                for t, at, seq, counts, flags in rows
            )
        )
        self._file.flush()
        self.samples += len(batch)

    def close(self) -> None:
        """Close the file; on a full disk the unwritten rest is lost, never raised (what was
        flushed, batch by batch, stays readable)."""
        if self._file.closed:
            return
        with contextlib.suppress(OSError):
            self._file.close()

    def __enter__(self) -> "RecordingWriter":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
