"""Recordings: raw counts with the metadata needed to make sense of them, as CSV.

The pfsense format (version 1) is a CSV file whose first lines are metadata comments::

    # pfsense recording v1
    # layout: plate4
    # channels: fl,fr,rl,rr
    # rate_hz: 80
    # plate_mm: 300x400
    # offset_counts: 21836.58,13495.51,37207.44,-25605.99
    # counts_per_n: 4379.65,4379.65,4379.65,4379.65
    # calibration_source: simulator
    # sensor: sim
    # started_at: 2026-11-26T14:00:00+00:00
    t_s,acquired_at,seq,counts_fl,counts_fr,counts_rl,counts_rr,flags_fl,flags_fr,flags_rl,flags_rr
    0.0,1795701600.0,0,21830,13401,37238,-25625,0,0,0,0

t_s and acquired_at are written with Python's shortest exact float repr, so a file read back gives
the very same numbers. Readers also accept plain CSVs in newtons: header ``t,force`` (one cell) or
``t,fl,fr,rl,rr`` (four corner cells), times in seconds.

`open_recording` reads a file a chunk of rows at a time, checking every row as it comes, so that
memory is bounded by the chunk and not by the file; `read_recording` is the whole file at once.
"""

from pfsense.sensors.recording.lines import MAX_LINE_BYTES, READ_BYTES
from pfsense.sensors.recording.pfsense_format import MAGIC, REQUIRED_META, data_columns
from pfsense.sensors.recording.plain_csv import (
    PLAIN_COUNTS_PER_N,
    PLAIN_HEADERS,
    RATE_ROWS,
    TAIL_BYTES,
)
from pfsense.sensors.recording.reader import (
    CHUNK_ROWS,
    Recording,
    RecordingReader,
    open_recording,
    read_recording,
)
from pfsense.sensors.recording.writer import RecordingWriter

__all__ = [
    "CHUNK_ROWS",
    "MAGIC",
    "MAX_LINE_BYTES",
    "PLAIN_COUNTS_PER_N",
    "PLAIN_HEADERS",
    "RATE_ROWS",
    "READ_BYTES",
    "REQUIRED_META",
    "TAIL_BYTES",
    "Recording",
    "RecordingReader",
    "RecordingWriter",
    "data_columns",
    "open_recording",
    "read_recording",
]
