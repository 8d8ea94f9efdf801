"""Recordings round-trip exactly; plain newton CSVs are read; bad files get a message with
the line number."""

from pathlib import Path

import numpy as np
import pytest

from pfsense.errors import RecordingError
from pfsense.sensors import SensorOptions, open_sensor
from pfsense.sensors.batch import Batch
from pfsense.sensors.recording import RecordingWriter, read_recording
from pfsense.sim import FaultKnobs

from .conftest import fast_sim

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
    ],
)
def test_malformed_recordings_say_which_line_and_what_was_expected(tmp_path, text, where, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(RecordingError) as caught:
        read_recording(path)
    assert str(caught.value).startswith(f"{path}{where}")
    assert message in str(caught.value)


def test_unreadable_files(tmp_path):
    with pytest.raises(RecordingError, match="no such file"):
        read_recording(tmp_path / "missing.csv")
    binary = tmp_path / "photo.csv"
    binary.write_bytes(b"\xff\xd8\xff\xe0 not text")
    with pytest.raises(RecordingError, match="not a text file"):
        read_recording(binary)
