"""Exports, for the web and the CLI alike: a session's samples as CSV (raw counts and the force
and position derived from them), its `pfsense analyze` report as JSON, its trace for the live
page's replay, and a patient's history as CSV; and importing a recording as a session.

Recordings are read a chunk at a time (pfsense.sensors.recording.open_recording), so memory is
bounded by the chunk, not by the session's length. The samples and the trace, as long as the
recording, are written to a spool as they are made (on disk past SPOOL_BYTES) and handed out in
pieces only once the whole recording has been read: a bad line late in a file raises before the
first piece, never half-way through a download."""

import csv
import hashlib
import io
import json
import math
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from pathlib import Path

import numpy as np

from pfsense.clinical.techniques import Technique
from pfsense.dsp.pipeline import Processed, Processor
from pfsense.dsp.report import analyze
from pfsense.errors import NotFound
from pfsense.paths import RECORDINGS_DIR, recordings_dir, unused_path
from pfsense.sensors.batch import Batch
from pfsense.sensors.recording import (
    RecordingReader,
    RecordingWriter,
    data_columns,
    open_recording,
)
from pfsense.sensors.recording.plain_csv import PLAIN_FORMAT
from pfsense.store import patients, sessions, targets

HISTORY_COLUMNS = (
    "session", "started_at", "ended_at", "status", "duration_s", "score",
    "time_in_band_fraction", "heel_s", "arch_s", "forefoot_s", "recording",
)  # fmt: skip
SPOOL_BYTES = 4 * 1024 * 1024  # a longer export waits in a temporary file, not in memory
PIECE_CHARS = 64 * 1024
CACHE_DIR = "cache"  # finished sessions' exports, worked out once
CACHE_FILES = 32


def recording_path(data_dir: Path, session: sessions.SessionRow) -> Path:
    if not session.recording:
        raise NotFound(f"session {session.id} has no recording")
    path = data_dir / RECORDINGS_DIR / Path(session.recording).name  # never outside the folder
    if not path.exists():
        raise NotFound(f"session {session.id}'s recording {session.recording} is missing")
    return path


def session_report(connection: sqlite3.Connection, data_dir: Path, session_id: int) -> dict:
    """The session as stored, with `pfsense analyze`'s report of its whole recording against the
    patient's rolling band and foot length."""
    session = sessions.get_session(connection, session_id)
    band, foot_mm = _patient_measures(connection, session.patient_id)

    def analysed() -> Pieces:
        with open_recording(recording_path(data_dir, session)) as recording:
            return Pieces([json.dumps(analyze(recording, band, foot_mm))])

    # Worked out once per recording and measures (a therapist's new band is a new analysis).
    kind = f"report{hashlib.sha256(repr((band, foot_mm)).encode()).hexdigest()[:12]}"
    analysis = json.loads("".join(_cached(data_dir, session, kind, analysed)))
    return {
        "session": session.to_dict(),
        "segments": sessions.segments_of(connection, session_id),
        "analysis": analysis,
    }


def session_trace(connection: sqlite3.Connection, data_dir: Path, session_id: int) -> "Pieces":
    """Force (and position on a plate) of every sample, for replaying on the live page: the
    JSON object {"layout", "t_s", "force_n"[, "x_mm", "y_mm"]} (NaN as null), in pieces."""
    session = sessions.get_session(connection, session_id)
    return _cached(data_dir, session, "trace", lambda: _make_trace(data_dir, session))


def _make_trace(data_dir: Path, session: sessions.SessionRow) -> "Pieces":
    path = recording_path(data_dir, session)
    spools = ExitStack()
    try:
        with open_recording(path) as recording:
            names = ("t_s", "force_n", *(("x_mm", "y_mm") if recording.layout.is_plate else ()))
            columns = {name: _JsonColumn(spools.enter_context(_Spool(data_dir))) for name in names}
            for part in _trace_parts(recording):
                for name, values in part.items():
                    columns[name].add(values)
    except BaseException:
        spools.close()
        raise
    return Pieces(_json_object(recording.layout.name, columns, spools), spools)


def _trace_parts(recording: RecordingReader) -> Iterator[dict[str, np.ndarray]]:
    """The trace's columns a chunk at a time: times from the first sample, rounded for show."""
    start_t_s = None
    for _, rows in _processed(recording):
        if not len(rows):
            continue
        start_t_s = float(rows.t_s[0]) if start_t_s is None else start_t_s
        part = {"t_s": np.round(rows.t_s - start_t_s, 4), "force_n": np.round(rows.force_n, 2)}
        if recording.layout.is_plate:
            part["x_mm"], part["y_mm"] = np.round(rows.x_mm, 1), np.round(rows.y_mm, 1)
        yield part


def session_samples_csv(
    connection: sqlite3.Connection, data_dir: Path, session_id: int
) -> "Pieces":
    """Every sample: time, sequence, raw counts and flags per cell, then force and position; CSV
    text in pieces."""
    session = sessions.get_session(connection, session_id)
    return _cached(data_dir, session, "samples", lambda: _make_samples_csv(data_dir, session))


def _make_samples_csv(data_dir: Path, session: sessions.SessionRow) -> "Pieces":
    path = recording_path(data_dir, session)
    spool = _Spool(data_dir)
    try:
        with open_recording(path) as recording:
            columns = [*data_columns(recording.layout.channels), "force_n", "x_mm", "y_mm"]
            spool.write(",".join(columns) + "\n")
            for raw, rows in _beside_raw(recording):
                spool.write(_samples_text(raw, rows))
    except BaseException:
        spool.close()
        raise
    return Pieces(spool.pieces(), spool)


def _cached(data_dir: Path, session: sessions.SessionRow, kind: str, make) -> "Pieces":
    """A finished session's export, worked out once and kept in the data directory's cache
    (a 3 h session's trace takes seconds of CPU; sent again, it is only read); a running
    session's is made afresh. Keyed by the recording's size and time, so a changed recording
    is worked out again. At most CACHE_FILES are kept, the least recently made going first."""
    if session.status == "running":
        return make()
    stat = recording_path(data_dir, session).stat()
    folder = data_dir / CACHE_DIR
    folder.mkdir(mode=0o700, exist_ok=True)
    target = folder / f"{kind}-{session.id}-{stat.st_size}-{stat.st_mtime_ns}"
    if not target.exists():
        descriptor, partial = tempfile.mkstemp(dir=folder, prefix=f".{kind}-")
        try:
            with open(descriptor, "w", encoding="utf-8", newline="") as file, make() as pieces:
                for piece in pieces:
                    file.write(piece)
            os.replace(partial, target)
        except BaseException:
            Path(partial).unlink(missing_ok=True)
            raise
        forget_cached(data_dir, [session.id], kind, keep=target)
        _bound_cache(folder)
    return Pieces(_file_pieces(target))


def forget_cached(
    data_dir: Path, session_ids: Iterable[int], kind: str = "*", keep: Path | None = None
) -> None:
    """Remove cached exports of these sessions (a deleted patient's, or outdated ones)."""
    folder = data_dir / CACHE_DIR
    for session_id in session_ids:
        for path in folder.glob(f"{kind}-{session_id}-*"):
            if path != keep:
                path.unlink(missing_ok=True)


def _bound_cache(folder: Path) -> None:
    files = sorted(
        (p for p in folder.iterdir() if not p.name.startswith(".")), key=lambda p: p.stat().st_mtime
    )
    for path in files[:-CACHE_FILES]:
        path.unlink(missing_ok=True)


def _file_pieces(path: Path) -> Iterator[str]:
    """A cached export, PIECE_CHARS at a time (opened only once the first piece is asked for)."""
    with open(path, encoding="utf-8", newline="") as file:
        while piece := file.read(PIECE_CHARS):
            yield piece


class Pieces:
    """Text handed out a piece at a time, and the spools it is read from. Closing it closes the
    spools, whether every piece was taken, some or none: a generator closed before its first
    piece (as a server answering HEAD does) never runs its `finally`. A context manager too."""

    def __init__(self, pieces: Iterable[str], spools: "_Spool | ExitStack | None" = None) -> None:
        self._pieces = iter(pieces)
        self._spools = spools

    def __iter__(self) -> "Pieces":
        return self

    def __next__(self) -> str:
        return next(self._pieces)

    def close(self) -> None:
        if hasattr(self._pieces, "close"):
            self._pieces.close()
        if self._spools is not None:
            self._spools.close()

    def __enter__(self) -> "Pieces":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _processed(recording: RecordingReader) -> Iterator[tuple[Batch, Processed]]:
    """Each chunk read, with the rows the processor decided on taking it; last, an empty chunk
    with the rows it held to the end."""
    processor = Processor(recording.layout, recording.calibration, recording.rate_hz)
    for batch in recording:
        yield batch, processor.process(batch)
    yield Batch.empty(len(recording.layout.channels)), processor.finish()


def _beside_raw(recording: RecordingReader) -> Iterator[tuple[Batch, Processed]]:
    """Processed rows with the raw rows they came from. The processor hands a row back a little
    after it went in (the cleaner waits for a suspect reading's neighbours), so raw rows are
    held until their processed rows come."""
    held = Batch.empty(len(recording.layout.channels))
    for batch, rows in _processed(recording):
        held = Batch.concat([held, batch])
        yield held.select(slice(0, len(rows))), rows
        held = held.select(slice(len(rows), None))


def _samples_text(batch: Batch, rows: Processed) -> str:
    table = zip(
        batch.t_s.tolist(), batch.acquired_at.tolist(), batch.seq.tolist(),
        batch.counts.tolist(), batch.flags.tolist(),
        rows.force_n.tolist(), rows.x_mm.tolist(), rows.y_mm.tolist(), strict=True,
    )  # fmt: skip
    return "".join(
        f"{t_s!r},{at!r},{seq},{_joined(counts)},{_joined(flags)},"
        f"{_number(force_n)},{_number(x_mm)},{_number(y_mm)}\n"
        for t_s, at, seq, counts, flags, force_n, x_mm, y_mm in table
    )


def _json_list(values: np.ndarray) -> list:
    return [None if v != v else v for v in values.tolist()]  # NaN (rejected) as null


class _Spool:
    """Text written now and read back later in pieces: in memory up to SPOOL_BYTES, then in an
    unnamed temporary file in the data directory (not /tmp, which may be in memory itself)."""

    def __init__(self, data_dir: Path) -> None:
        self._file = tempfile.SpooledTemporaryFile(  # noqa: SIM115 (closed by pieces or close)
            SPOOL_BYTES, mode="w+", encoding="utf-8", newline="", dir=data_dir
        )

    def write(self, text: str) -> None:
        self._file.write(text)

    def pieces(self) -> Iterator[str]:
        """What was written, PIECE_CHARS at a time; the spool is closed at the end (or when the
        reader stops early)."""
        try:
            self._file.seek(0)
            while piece := self._file.read(PIECE_CHARS):
                yield piece
        finally:
            self.close()

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> "_Spool":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class _JsonColumn:
    """The numbers of a JSON array, written to a spool a chunk at a time."""

    def __init__(self, spool: _Spool) -> None:
        self.spool = spool
        self._empty = True

    def add(self, values: np.ndarray) -> None:
        if len(values):
            text = json.dumps(_json_list(values), allow_nan=False)[1:-1]
            self.spool.write(text if self._empty else "," + text)
            self._empty = False


def _json_object(layout: str, columns: dict[str, _JsonColumn], spools: ExitStack) -> Iterator[str]:
    with spools:
        yield '{"layout":' + json.dumps(layout)
        for name, column in columns.items():
            yield f',"{name}":['
            yield from column.spool.pieces()
            yield "]"
        yield "}"


def history_csv(connection: sqlite3.Connection, patient_id: int) -> str:
    patients.get_patient(connection, patient_id)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HISTORY_COLUMNS)
    for session in sessions.sessions_of(connection, patient_id):
        report = session.report or {}
        zones = zones_s(report)
        writer.writerow(
            [session.id, session.started_at, session.ended_at or "", session.status,
             _number(session.duration_s), _number(session.score),
             _number(report.get("time_in_band_fraction")),
             *(_number(zones.get(zone)) for zone in ("heel", "arch", "forefoot")),
             session.recording or ""]
        )  # fmt: skip
    return out.getvalue()


def import_recording(
    connection: sqlite3.Connection,
    data_dir: Path,
    source: Path,
    patient_id: int | None,
    plate_mm: tuple[float, float] | None = None,
) -> int:
    """A recording made elsewhere (or earlier) as a complete session, analysed; its id.

    A pfsense recording is kept as it is. A plain newton CSV is kept converted to pfsense's
    format, so that it carries its plate size (`plate_mm`, which a four-cell one needs) and its
    rate from then on. Every row is checked before anything is stored."""
    band, foot_mm = _patient_measures(connection, patient_id)
    folder = recordings_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    handle, part_name = tempfile.mkstemp(dir=folder, prefix=".import-", suffix=".part")
    os.close(handle)
    part = Path(part_name)  # a name of its own: two imports at once never share one
    try:
        with open_recording(source, plate_mm) as recording:
            plain = recording.meta.get("format") == PLAIN_FORMAT
            if not plain:
                report = analyze(recording, band, foot_mm)
        if plain:
            _convert_plain(source, plate_mm, part)
            with open_recording(part) as recording:
                report = analyze(recording, band, foot_mm)
        else:
            shutil.copyfile(source, part)
        target = _claim(part, folder, f"imported-{source.stem}")
    finally:
        part.unlink(missing_ok=True)
    session_id = sessions.start_session(connection, patient_id, None, target.name)
    sessions.finish_session(connection, session_id, {**report, "ended_by": "imported"})
    return session_id


def _claim(part: Path, folder: Path, stem: str) -> Path:
    """`part` under an unused name like `stem`.csv, taken atomically (a link fails if the name
    was taken meanwhile, and the next is tried)."""
    while True:
        target = unused_path(folder, stem)
        try:
            os.link(part, target)
            return target
        except FileExistsError:
            continue


def _convert_plain(source: Path, plate_mm: tuple[float, float] | None, target: Path) -> None:
    """A plain newton CSV rewritten as a pfsense recording, a chunk at a time."""
    with open_recording(source, plate_mm) as recording, RecordingWriter(
        target, recording.layout, recording.rate_hz, recording.calibration,
        f"plain CSV {source.name}",
    ) as writer:  # fmt: skip
        for batch in recording:
            writer.write(batch)


def _patient_measures(connection, patient_id: int | None):
    if patient_id is None:
        return None, None
    patient = patients.get_patient(connection, patient_id)
    band = targets.targets_for(connection, patient_id)[Technique.ROLLING].band_n
    return band, patient.foot_mm


def zones_s(report: dict) -> dict:
    """Seconds worked per zone: a free session's coverage, or a routine's segments."""
    if "coverage" in report:
        return report["coverage"]["zones_s"]
    zones: dict[str, float] = {}
    for segment in report.get("segments", []):
        zones[segment["zone"]] = zones.get(segment["zone"], 0.0) + (segment["loaded_s"] or 0.0)
    return zones


def _joined(values) -> str:
    return ",".join(map(str, values))


def _number(value) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    return repr(round(float(value), 6)) if isinstance(value, float | np.floating) else str(value)
