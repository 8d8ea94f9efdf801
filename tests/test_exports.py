"""Exports and import read a recording a chunk at a time: the numbers of the whole recording
processed at once, long outputs handed out in pieces, and a bad line late in a file refused with
its line number before anything is sent or stored."""

import csv
import gc
import io
import json
import os
from contextlib import closing
from pathlib import Path

import numpy as np
import pytest

from pfsense.dsp.pipeline import Processed, Processor
from pfsense.errors import RecordingError
from pfsense.live.service import LiveService
from pfsense.paths import recordings_dir
from pfsense.sensors.batch import Batch
from pfsense.sensors.recording import data_columns, read_recording
from pfsense.store import db, exports, sessions
from pfsense.web import create_app

from .conftest import fast_sim
from .test_recording import long_recording, record, spoiled
from .test_therapist_api import therapist


@pytest.fixture
def home(tmp_path: Path) -> Path:
    folder = tmp_path / "home"
    folder.mkdir()
    return folder


def stored(home: Path, layout: str = "plate4") -> tuple[int, Path]:
    """A session whose recording is a minute of simulated rolling, with faults."""
    path = recordings_dir(home) / "session.csv"
    record(path, layout)
    return _session_for(home, path), path


def _session_for(home: Path, path: Path) -> int:
    with closing(db.connect(home)) as connection:
        return sessions.start_session(connection, None, None, path.name)


def processed_whole(path: Path) -> tuple[Batch, Processed]:
    """The recording read whole and processed in one piece, as the exports did before."""
    recording = read_recording(path)
    processor = Processor(recording.layout, recording.calibration, recording.rate_hz)
    rows = Processed.concat([processor.process(recording.batch), processor.finish()])
    return recording.batch, rows


def _nan_for_empty(cells: list[str]) -> np.ndarray:
    return np.array([float(cell) if cell else np.nan for cell in cells])


@pytest.mark.parametrize("layout", ["single", "plate4"])
def test_the_samples_csv_comes_in_pieces_with_the_whole_recordings_numbers(home, layout):
    session_id, path = stored(home, layout)
    with closing(db.connect(home)) as connection:
        pieces = list(exports.session_samples_csv(connection, home, session_id))
    assert len(pieces) > 1, "handed out a piece at a time"
    header, *body = list(csv.reader(io.StringIO("".join(pieces))))
    batch, rows = processed_whole(path)
    channels = batch.channels
    names = read_recording(path).layout.channels
    assert header == [*data_columns(names), "force_n", "x_mm", "y_mm"]
    assert len(body) == len(batch)
    columns = list(zip(*body, strict=True))
    np.testing.assert_array_equal(np.array(columns[0], float), batch.t_s)
    np.testing.assert_array_equal(np.array(columns[2], int), batch.seq)
    np.testing.assert_array_equal(np.array(columns[3 : 3 + channels], int).T, batch.counts)
    np.testing.assert_array_equal(np.array(columns[3 + channels : -3], int).T, batch.flags)
    for column, name in zip(columns[-3:], ("force_n", "x_mm", "y_mm"), strict=True):
        np.testing.assert_allclose(
            _nan_for_empty(column), getattr(rows, name), atol=1e-6, equal_nan=True, err_msg=name
        )
    assert np.isnan(rows.force_n).any(), "rejected samples are empty cells"


@pytest.mark.parametrize("layout", ["single", "plate4"])
def test_the_trace_is_the_json_of_the_whole_recording(home, layout):
    session_id, path = stored(home, layout)
    with closing(db.connect(home)) as connection:
        document = json.loads("".join(exports.session_trace(connection, home, session_id)))
    _batch, rows = processed_whole(path)
    plate = ("x_mm", "y_mm") if layout == "plate4" else ()
    assert list(document) == ["layout", "t_s", "force_n", *plate]
    assert document["layout"] == layout
    np.testing.assert_allclose(document["t_s"], np.round(rows.t_s - rows.t_s[0], 4), atol=1e-9)
    assert None in document["force_n"], "rejected samples are null"
    for name, digits in (("force_n", 2), ("x_mm", 1), ("y_mm", 1))[: 1 + len(plate)]:
        values = np.array([np.nan if v is None else v for v in document[name]])
        expected = np.round(getattr(rows, name), digits)
        np.testing.assert_allclose(values, expected, atol=1.01 * 10**-digits, equal_nan=True)


def _open_in(folder: Path) -> list[str]:
    """This process's open files in `folder`, deleted ones too (Linux)."""
    links = [os.readlink(fd) for fd in Path("/proc/self/fd").iterdir() if fd.is_symlink()]
    return [link for link in links if link.startswith(f"{folder}/")]


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs Linux's /proc")
def test_a_long_export_waits_on_disk_in_the_data_directory(home, monkeypatch):
    session_id, _ = stored(home)
    names_before = {p.name for p in home.iterdir()}
    with closing(db.connect(home)) as connection:
        in_memory = "".join(exports.session_samples_csv(connection, home, session_id))
        monkeypatch.setattr(exports, "SPOOL_BYTES", 1000)
        pieces = exports.session_samples_csv(connection, home, session_id)
        first = next(pieces)
        spooled = [link for link in _open_in(home) if link.endswith("(deleted)")]
        on_disk = first + "".join(pieces)
        trace = "".join(exports.session_trace(connection, home, session_id))
    assert len(spooled) == 1, "an unnamed file in the data directory, not /tmp"
    assert on_disk == in_memory
    assert json.loads(trace)["layout"] == "plate4"
    assert not [link for link in _open_in(home) if link.endswith("(deleted)")], "closed"
    assert {p.name for p in home.iterdir()} == names_before, "nothing left behind"


@pytest.fixture
def spoiled_session(home: Path) -> tuple[int, int, Path]:
    """A stored 20,000-sample recording whose 19,990th sample is not a number: the session, the
    bad line's number, and the file."""
    source = long_recording(home / "source.csv", 20_000)
    first_line = source.read_text().split("\n").index("t_s,acquired_at,seq,counts_cell,flags_cell")
    bad_line = first_line + 2 + 19_990 - 1
    path = spoiled(source, recordings_dir(home) / "spoiled.csv", bad_line, lambda _: b"0,0,0,x,0")
    return _session_for(home, path), bad_line, path


@pytest.mark.parametrize("export", ["session_samples_csv", "session_trace", "session_report"])
def test_a_bad_line_late_in_a_stored_recording_is_named_before_anything_is_sent(
    home, spoiled_session, export
):
    session_id, bad_line, path = spoiled_session
    with closing(db.connect(home)) as connection, pytest.raises(RecordingError) as caught:
        getattr(exports, export)(connection, home, session_id)
    assert str(caught.value) == f"{path}:{bad_line}: 'x' is not a number"


def test_importing_a_file_bad_near_its_end_stores_nothing(home, spoiled_session):
    _session_id, bad_line, path = spoiled_session
    with closing(db.connect(home)) as connection:
        before = connection.execute("SELECT COUNT(*) FROM sessions").fetchone()[0]
        with pytest.raises(RecordingError, match=f":{bad_line}: 'x' is not a number"):
            exports.import_recording(connection, home, path, None)
        assert connection.execute("SELECT COUNT(*) FROM sessions").fetchone()[0] == before
    assert not list(recordings_dir(home).glob("imported-*"))


@pytest.fixture
def app(home: Path):
    config = {"TESTING": True, "PFSENSE_DATA_DIR": str(home)}
    return create_app(LiveService(fast_sim("single")), config)


def test_the_web_streams_the_trace_and_the_samples(app, home):
    session_id, path = stored(home, "single")
    client, _csrf = therapist(app)
    trace = client.get(f"/api/sessions/{session_id}/trace")
    assert trace.status_code == 200
    assert trace.is_streamed
    assert trace.mimetype == "application/json"
    assert len(json.loads(trace.get_data())["t_s"]) == len(read_recording(path).batch)
    samples = client.get(f"/api/sessions/{session_id}/samples.csv")
    assert samples.status_code == 200
    assert samples.is_streamed
    assert samples.headers["Content-Disposition"].endswith(f'pfsense-session-{session_id}.csv"')
    assert len(samples.get_data(as_text=True).splitlines()) == 1 + len(read_recording(path).batch)


def test_the_web_says_which_line_of_a_stored_recording_is_bad(app, home, spoiled_session):
    session_id, bad_line, _path = spoiled_session
    client, _csrf = therapist(app)
    for route in ("trace", "samples.csv", "report.json"):
        response = client.get(f"/api/sessions/{session_id}/{route}")
        assert response.status_code == 400, route
        assert f":{bad_line}: 'x' is not a number" in response.get_json()["message"]


def test_the_web_import_of_a_file_bad_near_its_end_stores_nothing(app, home, spoiled_session):
    _session_id, bad_line, path = spoiled_session
    client, csrf = therapist(app)
    response = client.post("/api/import?name=long.csv", data=path.read_bytes(), headers=csrf)
    assert response.status_code == 400
    assert f"long.csv:{bad_line}: 'x' is not a number" in response.get_json()["message"]
    assert not list(recordings_dir(home).glob("imported-*"))
    good = client.post("/api/import?name=good.csv", data=(home / "source.csv").read_bytes(),
                       headers=csrf)  # fmt: skip
    assert good.status_code == 201, good.get_json()


def _spools_open(home: Path) -> list[str]:
    return [link for link in _open_in(home) if link.endswith("(deleted)")]


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs Linux's /proc")
def test_an_export_closed_before_its_first_piece_closes_its_spools(home, monkeypatch):
    """As a server answering HEAD does: the spools are closed, not left to the garbage
    collector (a ResourceWarning, an error in this suite)."""
    session_id, _ = stored(home, "single")
    monkeypatch.setattr(exports, "SPOOL_BYTES", 1000)  # on disk, where an open file shows
    with closing(db.connect(home)) as connection:
        for export in (exports.session_trace, exports.session_samples_csv):
            pieces = export(connection, home, session_id)
            assert _spools_open(home)
            pieces.close()
            assert not _spools_open(home), export.__name__
            del pieces
            gc.collect()


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs Linux's /proc")
def test_the_web_answers_head_without_leaving_a_spool_open(app, home, monkeypatch):
    session_id, _ = stored(home, "single")
    monkeypatch.setattr(exports, "SPOOL_BYTES", 1000)
    client, _csrf = therapist(app)
    for route in ("trace", "samples.csv"):
        response = client.head(f"/api/sessions/{session_id}/{route}")
        assert response.status_code == 200
        assert response.get_data() == b""
        response.close()
        assert not _spools_open(home), route
        del response
        gc.collect()


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs Linux's /proc")
def test_an_export_to_an_unwritable_file_closes_its_spool(home, tmp_path, monkeypatch, capsys):
    from pfsense.cli.main import main

    session_id, _ = stored(home, "single")
    monkeypatch.setattr(exports, "SPOOL_BYTES", 1000)
    output = tmp_path / "no-such-folder" / "out.csv"
    argv = ["--data-dir", str(home), "export", "session", str(session_id), "-o", str(output)]
    assert main(argv) == 2
    assert f"cannot write {output}" in capsys.readouterr().err
    assert not _spools_open(home)
    gc.collect()


def test_the_web_import_of_a_line_with_a_lone_carriage_return_is_refused(app, home):
    client, csrf = therapist(app)
    body = b"t,force\n0,1\n0.1,2\r3\n0.2,3\n"
    response = client.post("/api/import?name=cr.csv", data=body, headers=csrf)
    assert response.status_code == 400
    assert "cr.csv:3: a carriage return inside the line" in response.get_json()["message"]


def finished(home: Path, patient_id: int | None = None) -> tuple[int, Path]:
    path = recordings_dir(home) / "finished.csv"
    record(path, "plate4")
    with closing(db.connect(home)) as connection:
        session_id = sessions.start_session(connection, patient_id, None, path.name)
        sessions.finish_session(connection, session_id, {"score": {"total": 1}})
    return session_id, path


def test_a_finished_sessions_exports_are_worked_out_once(home):
    session_id, path = finished(home)
    with closing(db.connect(home)) as connection:
        first = "".join(exports.session_trace(connection, home, session_id))
        kept = list((home / exports.CACHE_DIR).glob(f"trace-{session_id}-*"))
        assert len(kept) == 1
        assert kept[0].read_text() == first
        kept[0].write_text('{"from": "the cache"}')  # what is sent next is read from here
        assert "".join(exports.session_trace(connection, home, session_id)) == (
            '{"from": "the cache"}'
        )
        os.utime(path, ns=(1, 1))  # the recording changed: worked out again, the old one gone
        assert "".join(exports.session_trace(connection, home, session_id)) == first
        assert len(list((home / exports.CACHE_DIR).glob(f"trace-{session_id}-*"))) == 1
        samples = "".join(exports.session_samples_csv(connection, home, session_id))
        assert "".join(exports.session_samples_csv(connection, home, session_id)) == samples


def test_deleting_a_patient_deletes_what_was_worked_out_from_their_sessions(home):
    from pfsense.store import patients

    with closing(db.connect(home)) as connection:
        patient = patients.add_patient(connection, patients.checked_patient({"name": "C"}))
    session_id, _ = finished(home, patient.id)
    with closing(db.connect(home)) as connection:
        "".join(exports.session_trace(connection, home, session_id))
        patients.delete_patient(connection, patient.id, home)
    assert not list((home / exports.CACHE_DIR).iterdir())
