"""Recordings round-trip exactly; plain newton CSVs are read; bad files get a message with
the line number; read a chunk at a time, a recording gives the same rows and analysis, in memory
that does not grow with the file."""

import os
import threading
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from pfsense.calibration.model import Calibration
from pfsense.dsp.report import analyze
from pfsense.errors import RecordingError
from pfsense.sensors import SensorOptions, open_sensor
from pfsense.sensors.adc import COUNTS_DTYPE
from pfsense.sensors.batch import SEQ_MODULO, Batch
from pfsense.sensors.flags import FLAGS_DTYPE
from pfsense.sensors.layout import make_layout
from pfsense.sensors.recording import (
    CHUNK_ROWS,
    RATE_ROWS,
    READ_BYTES,
    RecordingWriter,
    open_recording,
    read_recording,
)
from pfsense.sim import FaultKnobs

from .conftest import fast_sim
from .test_features import assert_same_numbers

FAULTY = FaultKnobs(
    spike_rate=0.01, saturation_rate=0.01, desync_rate=0.01, drop_rate=0.01, all_ones_rate=0.01
)


def record(path: Path, layout: str = "plate4", faults: FaultKnobs = FAULTY) -> Batch:
    sensor = fast_sim(layout, faults)
    with (
        sensor,
        RecordingWriter(
            path, sensor.layout, sensor.rate_hz, sensor.nominal_calibration, "sim"
        ) as writer,
    ):
        batches = list(sensor)
        for batch in batches:
            writer.write(batch)
    return Batch.concat(batches), sensor


def assert_same_rows(a: Batch, b: Batch) -> None:
    for name in ("t_s", "acquired_at", "seq", "counts", "flags"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
        assert getattr(a, name).dtype == getattr(b, name).dtype, name


@pytest.mark.parametrize("layout", ["single", "plate4"])
def test_a_recording_reads_back_exactly(tmp_path, layout):
    path = tmp_path / "session.csv"
    original, sensor = record(path, layout)
    recording = read_recording(path)
    assert_same_rows(original, recording.batch)
    assert recording.layout == sensor.layout
    assert recording.rate_hz == 80
    assert recording.calibration.offset_counts == sensor.nominal_calibration.offset_counts
    assert recording.calibration.counts_per_n == sensor.nominal_calibration.counts_per_n
    assert recording.batch.flags.any(), "the faults made it into the file"


def test_replay_gives_back_what_was_recorded(tmp_path):
    path = tmp_path / "session.csv"
    original, _ = record(path)
    with open_sensor(f"replay:{path}", SensorOptions(realtime=False)) as replay:
        replayed = Batch.concat(list(replay))
    assert_same_rows(original, replayed)


def test_each_batch_is_on_disk_as_soon_as_it_is_written(tmp_path):
    path = tmp_path / "live.csv"
    sensor = fast_sim("single")
    with (
        sensor,
        RecordingWriter(
            path, sensor.layout, sensor.rate_hz, sensor.nominal_calibration, "sim"
        ) as writer,
    ):
        first = sensor.read()
        writer.write(first)
        # Another process reading now (or after a crash) sees every row written so far.
        assert len(read_recording(path).batch) == len(first)


def test_plain_single_cell_csv(tmp_path):
    path = tmp_path / "plain.csv"
    path.write_text("t,force\n0.0,10.5\n0.0125,11.25\n0.025,-0.5\n")
    recording = read_recording(path)
    assert recording.layout.name == "single"
    assert recording.rate_hz == pytest.approx(80.0)
    np.testing.assert_allclose(
        recording.calibration.force_n(recording.batch.counts)[:, 0], [10.5, 11.25, -0.5]
    )
    np.testing.assert_array_equal(recording.batch.seq, [0, 1, 2])


def test_plain_four_cell_csv_takes_the_plate_size_given(tmp_path):
    path = tmp_path / "plate.csv"
    path.write_text("t, fl, fr, rl, rr\n0,1,2,3,4\n0.1,4,3,2,1\n")
    recording = read_recording(path, plate_mm=(250.0, 350.0))
    assert recording.layout.channels == ("fl", "fr", "rl", "rr")
    assert (recording.layout.plate_width_mm, recording.layout.plate_length_mm) == (250.0, 350.0)
    np.testing.assert_allclose(
        recording.calibration.force_n(recording.batch.counts), [[1, 2, 3, 4], [4, 3, 2, 1]]
    )


HEADER = "t_s,acquired_at,seq,counts_cell,flags_cell"
META = (
    "# pfsense recording v1\n# layout: single\n# channels: cell\n# rate_hz: 80\n"
    "# offset_counts: 0\n# counts_per_n: 4379.6\n"
)


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ("", "", "the file is empty"),
        ("time,newtons\n1,2\n", ":1:", "expected a pfsense recording, 't,force'"),
        ("t,force\n", "", "has a header but no samples"),
        ("t,force\n0,1\n0.1\n", ":3:", "1 fields: expected 2"),
        ("t,force\n0,1\n0.1,2\r3\n0.2,3\n", ":3:", "a carriage return inside the line"),
        ("t,force\n0,1\n0.1,abc\n", ":3:", "'abc' is not a number"),
        ("t,force\n0,1\n0.2,1\n0.1,1\n", ":4:", "time goes backwards"),
        ("t,force\n0,1\n0.1,nan\n", ":3:", "expected a finite number"),
        ("t,force\n0,1\n0.1,9000\n", "", "beyond +/-8388.61 N"),
        (
            META + HEADER + "\n0.0,1.0,0,5,0\n0.1,1.1,1,9999999,0\n",
            ":9:",
            "counts (signed 24-bit) [9999999] out of range",
        ),
        (
            META + HEADER + "\n0.0,1.0,70000,5,0\n",
            ":8:",
            "seq [70000] out of range: expected 0 to 65535",
        ),
        (META + HEADER + "\n0.0,1.0,0,5,64\n", ":8:", "flags [64] out of range"),
        (
            META + HEADER + "\n0.0,1.0,0,5,0\n\n0.1,1.1,1.5,5,0\n",
            ":10:",
            "'1.5' is not a whole number",
        ),
        ("t,force\n0,1\n\n\n0.1,1\n0.05,2\n", ":6:", "time goes backwards"),
        (
            META + "t_s,seq\n",
            ":7:",
            "header is 't_s,seq': expected t_s,acquired_at,seq,counts_cell,flags_cell",
        ),
        (META.replace("# rate_hz: 80\n", ""), ":1:", "metadata is missing rate_hz"),
        (META.replace("rate_hz: 80", "rate_hz: fast"), ":4:", "rate_hz 'fast' is not a number"),
        (META.replace("layout: single", "layout: plate9"), ":2:", "unknown layout 'plate9'"),
        (
            META.replace("counts_per_n: 4379.6", "counts_per_n: 1,2"),
            ":6:",
            "counts_per_n has 2 values: expected 1",
        ),
        # Metadata and times that no load cell could give (issue 11): refused, never analysed.
        (META.replace("rate_hz: 80", "rate_hz: 1e308"), ":4:", "rate_hz is 1e+308: expected 1"),
        (META.replace("rate_hz: 80", "rate_hz: 0.5"), ":4:", "rate_hz is 0.5: expected 1 to 1000"),
        (
            META.replace("counts_per_n: 4379.6", "counts_per_n: 1e-300"),
            ":6:",
            "counts_per_n value is 1e-300: expected 0.01 to 10000000",
        ),
        (
            META.replace("offset_counts: 0", "offset_counts: 1e12"),
            ":5:",
            "offset_counts value is 1e+12: expected -8388608 to 8388607",
        ),
        ("t,force\n0,1\n0.1,1\n1000000.1,1\n", ":4:", "t jumps 1000000 s from the row before"),
        ("t,force\n" + "".join(f"{2 * i},1\n" for i in range(9)), "", "0.5 Hz: expected a steady"),
        ("t,fl,fr,rl,rr\n0,1,1,1,1\n", ":1:", "a plain four-cell CSV does not say how far"),
    ],
)
def test_malformed_recordings_say_which_line_and_what_was_expected(tmp_path, text, where, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(RecordingError) as caught:
        read_recording(path)
    assert str(caught.value).startswith(f"{path}{where}")
    assert message in str(caught.value)


@pytest.mark.parametrize("line_end", ["\n", "\r\n"])
def test_a_byte_order_mark_and_crlf_line_ends_are_read_as_a_spreadsheet_writes_them(
    tmp_path, line_end
):
    plain = ("t,force\n" + "".join(f"{i / 80},{100 + i}\n" for i in range(40))).replace(
        "\n", line_end
    )
    own = META + HEADER + "\n" + "".join(f"{i / 80},{1.0 + i / 80},{i},5,0\n" for i in range(40))
    for name, text in (("plain.csv", plain), ("own.csv", own.replace("\n", line_end))):
        path = tmp_path / name
        path.write_bytes(b"\xef\xbb\xbf" + text.encode())
        recording = read_recording(path)
        assert len(recording.batch) == 40
        assert recording.rate_hz == pytest.approx(80.0)


def test_unreadable_files(tmp_path):
    with pytest.raises(RecordingError, match="no such file"):
        read_recording(tmp_path / "missing.csv")
    binary = tmp_path / "photo.csv"
    binary.write_bytes(b"\xff\xd8\xff\xe0 not text")
    with pytest.raises(RecordingError, match="not a text file"):
        read_recording(binary)


# Reading a chunk at a time (open_recording): the same rows and numbers as the whole file, bad
# lines named wherever they are, and memory that does not grow with the file.

CELL_CALIBRATION = Calibration((1000.0,), (4379.6,), "test")


def long_recording(path: Path, rows: int) -> Path:
    """A single-cell recording of `rows` samples (80 Hz rolling, 200 N +/- 100 N), made
    directly from arrays: quicker than the simulator for hundreds of thousands of rows."""
    t_s = np.arange(rows) / 80
    force_n = 200 + 100 * np.sin(2 * np.pi * 0.5 * t_s)
    counts = np.rint(CELL_CALIBRATION.counts(force_n[:, None])).astype(COUNTS_DTYPE)
    seq = (np.arange(rows) % SEQ_MODULO).astype(np.uint16)
    batch = Batch(t_s, 1.8e9 + t_s, seq, counts, np.zeros(counts.shape, FLAGS_DTYPE))
    with RecordingWriter(path, make_layout("single"), 80, CELL_CALIBRATION, "test") as writer:
        writer.write(batch)
    return path


def read_in_chunks(path: Path, chunk_rows: int = CHUNK_ROWS) -> list[Batch]:
    with open_recording(path, chunk_rows=chunk_rows) as recording:
        return list(recording)


@pytest.mark.parametrize("layout", ["single", "plate4"])
@pytest.mark.parametrize("chunk_rows", [1, 37, CHUNK_ROWS])
def test_a_recording_read_in_chunks_gives_the_analysis_read_whole(tmp_path, layout, chunk_rows):
    path = tmp_path / "session.csv"
    record(path, layout)
    whole = analyze(read_recording(path))  # the file as one batch
    with open_recording(path, chunk_rows=chunk_rows) as recording:
        chunked = analyze(recording)
    assert_same_numbers(chunked, whole)
    assert chunked["samples"] == len(read_recording(path).batch)
    assert chunked["rejected_samples"] > 0, "the faults were seen in chunks too"


def test_chunks_hold_at_most_chunk_rows_and_every_row_once(tmp_path):
    path = tmp_path / "session.csv"
    original, _ = record(path)
    chunks = read_in_chunks(path, chunk_rows=1000)
    assert [len(chunk) for chunk in chunks] == [1000] * 4 + [len(original) - 4000]
    assert_same_rows(original, Batch.concat(chunks))


def peak_bytes(work, path: Path) -> int:
    """The most Python memory `work(path)` held at once (tracemalloc)."""
    tracemalloc.start()
    try:
        work(path)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_the_reader_holds_a_chunk_not_the_file(tmp_path):
    """Peak memory reading a file ten times longer is about the same: what the reader holds is
    bounded by the chunk."""

    def read(path: Path) -> None:
        with open_recording(path) as recording:
            assert sum(len(batch) for batch in recording) == int(path.stem)

    short = peak_bytes(read, long_recording(tmp_path / "20000.csv", 20_000))
    long = peak_bytes(read, long_recording(tmp_path / "200000.csv", 200_000))
    assert long < 1.2 * short, (short, long)


def test_analysis_in_chunks_holds_a_chunk_not_the_file(tmp_path):
    def analysed(path: Path) -> None:
        with open_recording(path) as recording:
            analyze(recording)

    short = peak_bytes(analysed, long_recording(tmp_path / "short.csv", 20_000))
    long = peak_bytes(analysed, long_recording(tmp_path / "long.csv", 200_000))
    assert long < 1.5 * short, (short, long)


@pytest.fixture(scope="module")
def rows_200k(tmp_path_factory) -> tuple[Path, int]:
    """A 200,010-sample recording and the line number of its first sample."""
    path = long_recording(tmp_path_factory.mktemp("long") / "long.csv", 200_010)
    with open(path, encoding="utf-8") as file:
        header_line = next(n for n, line in enumerate(file, 1) if line.startswith("t_s,"))
    return path, header_line + 1


def spoiled(path: Path, target: Path, line: int, change) -> Path:
    """A copy of the recording at `path` with line `line` (1-based) changed by `change`."""
    lines = path.read_bytes().split(b"\n")
    lines[line - 1] = change(lines[line - 1])
    target.write_bytes(b"\n".join(lines))
    return target


def _field(index: int, value: bytes):
    def change(line: bytes) -> bytes:
        cells = line.split(b",")
        cells[index] = value
        return b",".join(cells)

    return change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_field(3, b"abc"), "'abc' is not a number"),
        (_field(3, b"1.5"), "'1.5' is not a whole number"),
        (lambda line: line.rsplit(b",", 1)[0], "4 fields: expected 5"),
        (_field(0, b"1.0"), "time goes backwards: t_s 1.0 after 2499.9875"),
        (_field(2, b"70000"), "seq [70000] out of range"),
        (_field(1, b"nan"), "acquired_at is nan: expected a finite number"),
        (_field(3, b"\xff\xfe"), "not a text file"),
    ],
)
def test_a_bad_line_late_in_a_long_file_is_named(rows_200k, tmp_path, change, message):
    source, first_line = rows_200k
    bad_line = first_line + 200_000
    path = spoiled(source, tmp_path / "bad.csv", bad_line, change)
    read, error = read_until_error(path)
    assert str(error).startswith(f"{path}:{bad_line}: ")
    assert message in str(error)
    assert read >= 200_000 - CHUNK_ROWS, "found when reached, not before"


def read_until_error(path: Path) -> tuple[int, RecordingError]:
    """How many rows came before the reader stopped at a bad line, and what it said."""
    read = 0
    try:
        with open_recording(path) as recording:
            for batch in recording:
                read += len(batch)
    except RecordingError as error:
        return read, error
    pytest.fail(f"{path} was read without an error")


@pytest.mark.parametrize("time", [b"1.2375", b"1.2"])
def test_time_going_backwards_from_one_chunk_to_the_next_is_named(tmp_path, time):
    source = long_recording(tmp_path / "rows.csv", 300)
    first_line = source.read_text().split("\n").index(HEADER) + 2
    bad_line = first_line + 100  # the first row of the second chunk; the row before is 1.2375 s
    path = spoiled(source, tmp_path / "bad.csv", bad_line, _field(0, time))
    with pytest.raises(RecordingError, match=f"^{path}:{bad_line}: time goes backwards"):
        read_in_chunks(path, chunk_rows=100)


def test_a_plain_csv_longer_than_its_first_chunk(tmp_path):
    """The rate is from the first rows, sequence numbers run on across chunks, and acquisition
    times end when the file was written, as when it is read whole."""
    path = tmp_path / "plain.csv"
    rows = 3 * RATE_ROWS + 5
    path.write_text("t,force\n" + "".join(f"{i / 100},{i % 50}\n" for i in range(rows)))
    with open_recording(path, chunk_rows=1000) as recording:
        assert recording.rate_hz == pytest.approx(100.0)
        batch = Batch.concat(list(recording))
    np.testing.assert_array_equal(batch.seq, np.arange(rows))
    assert batch.acquired_at[-1] == path.stat().st_mtime
    np.testing.assert_allclose(np.diff(batch.acquired_at), 0.01, atol=1e-6)  # at 1.8e9 s
    np.testing.assert_allclose(batch.counts[:, 0], (np.arange(rows) % 50) * 1000.0)


def test_a_line_far_too_long_is_refused_without_reading_the_file(tmp_path):
    path = tmp_path / "one-line.csv"
    path.write_bytes(b"t,force\n0,1\n" + b"7" * 1_000_000)
    with pytest.raises(RecordingError, match=":3: a line over 4096 bytes long"):
        read_in_chunks(path)


def test_windows_line_ends_read_the_same(tmp_path):
    path = tmp_path / "session.csv"
    original, _ = record(path, "single")
    crlf = tmp_path / "crlf.csv"
    crlf.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    assert_same_rows(original, Batch.concat(read_in_chunks(crlf, chunk_rows=500)))


def plain_rows(rows: int) -> str:
    return "".join(f"{i / 80},{10 + i % 50}\n" for i in range(rows))


def test_many_blank_lines_before_the_header_are_read_once(tmp_path):
    """The head is read a line at a time, from an offset into the block held: the block is not
    joined (copied) again for every blank line."""
    path = tmp_path / "blank-head.csv"
    path.write_text("\n" * 200_000 + "# made by hand\n" + "t,force\n" + plain_rows(10))
    with open_recording(path) as recording:
        batch = Batch.concat(list(recording))
        joins = recording._lines.joins
    assert len(batch) == 10
    assert recording.rate_hz == pytest.approx(80.0)
    assert joins <= path.stat().st_size // READ_BYTES + 1


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs a named pipe")
def test_a_plain_csv_read_from_a_pipe(tmp_path):
    """A pipe cannot seek to its last line: it is read all the same, with the same rows."""
    text = "t,force\n" + plain_rows(3 * RATE_ROWS + 5)
    path, pipe = tmp_path / "plain.csv", tmp_path / "pipe"
    path.write_text(text)
    os.mkfifo(pipe)
    writer = threading.Thread(target=pipe.write_text, args=(text,))
    writer.start()
    try:
        with open_recording(pipe, chunk_rows=1000) as recording:
            piped, rate_hz = Batch.concat(list(recording)), recording.rate_hz
    finally:
        writer.join()
    with open_recording(path) as recording:
        assert rate_hz == recording.rate_hz
        read = Batch.concat(list(recording))
    for name in ("t_s", "seq", "counts", "flags"):
        np.testing.assert_array_equal(getattr(piped, name), getattr(read, name))
    np.testing.assert_allclose(np.diff(piped.acquired_at), np.diff(read.acquired_at), atol=1e-6)


@pytest.mark.parametrize(
    "ending",
    [
        pytest.param(lambda rows: [*rows[:-1], '"' + rows[-1].replace(",", '",', 1)], id="quoted"),
        pytest.param(lambda rows: [*rows, *[" \r"] * 5000], id="5000-blank-lines"),
        pytest.param(lambda rows: [*rows[:-1], "  " + rows[-1] + " "], id="spaces"),
    ],
)
def test_a_plain_csv_ends_when_the_file_was_written_however_its_last_row_is_written(
    tmp_path, ending
):
    path = tmp_path / "plain.csv"
    rows = plain_rows(2 * RATE_ROWS).splitlines()
    path.write_text("t,force\n" + "\n".join(ending(rows)) + "\n")
    batch = Batch.concat(read_in_chunks(path))
    assert batch.t_s[-1] == (2 * RATE_ROWS - 1) / 80
    assert batch.acquired_at[-1] == path.stat().st_mtime


@pytest.mark.parametrize("position", ["inside a block", "across a block's end"])
def test_a_line_too_long_is_refused_wherever_it_is(tmp_path, position):
    """Spaces make it a readable row, but no recording has a line of 5,000 bytes: refused the
    same way in the middle of a block as where it is still open, 4,500 bytes on, at a block's
    end."""
    rows = plain_rows(10_000).splitlines(keepends=True)
    before = "t,force\n"
    while len(before) < (100 if position == "inside a block" else READ_BYTES - 4500):
        before += rows.pop(0)
    path = tmp_path / "long.csv"
    path.write_text(before + "99," + " " * 5000 + "1\n" + "100,1\n")
    line = 1 + before.count("\n")
    with pytest.raises(RecordingError, match=f"^{path}:{line}: a line over 4096 bytes long"):
        read_in_chunks(path)


@pytest.mark.parametrize("rate_hz", [5, 40, 1000])
def test_plain_csvs_at_any_steady_rate_are_read_at_that_rate(tmp_path, rate_hz):
    jitter_s = np.random.default_rng(rate_hz).uniform(-0.1, 0.1, 600) / rate_hz
    t_s = np.arange(600) / rate_hz + jitter_s
    path = tmp_path / "plain.csv"
    path.write_text("t,force\n" + "".join(f"{t:.6f},100\n" for t in t_s))
    recording = read_recording(path)
    assert recording.rate_hz == pytest.approx(rate_hz, rel=0.02)
    assert len(recording.batch) == 600
