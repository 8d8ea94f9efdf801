"""The Pico -> Pi line protocol (the Pi's parser is pfsense.sensors.pico_link).

A sample:   $<seq>,<t_us>,<count 0>,...,<count n-1>,<flags>*<crc>\n
  seq     0..65535, +1 per frame, wrapping: a gap on the Pi means lost frames
  t_us    the Pico's microsecond clock when the frame's first channel was read
  count   each channel's signed 24-bit reading, decimal
  flags   one hex digit per channel: 1 saturated, 2 desync, 4 timeout (as pfsense.sensors.flags)
  crc     CRC-16/CCITT-FALSE of the bytes between $ and *, 4 hex digits
Anything else the Pico says starts with '#' (hello, errors). The Pi sends one command a line:
hello, start, stop, rate 10|80, channels 1..4.

Plain Python that CircuitPython runs too: no typing, dataclasses or modules it lacks.
"""

SATURATED = 1
DESYNC = 2
TIMEOUT = 4


def _crc_table():
    table = []
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
        table.append(crc & 0xFFFF)
    return table


_TABLE = _crc_table()


def crc16(data, crc=0xFFFF):
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF), as binascii.crc_hqx(data, 0xFFFF).

    >>> hex(crc16(b"123456789"))
    '0x29b1'
    """
    for byte in data:
        crc = ((crc << 8) & 0xFFFF) ^ _TABLE[((crc >> 8) ^ byte) & 0xFF]
    return crc


def encode_frame(seq, t_us, counts, flags):
    """One sample line, as bytes.

    >>> encode_frame(7, 1000, [-5, 12], [0, 4])[:16]
    b'$7,1000,-5,12,04'
    """
    values = ",".join(str(int(c)) for c in counts)
    flag_digits = "".join(f"{f & 0xF:x}" for f in flags)
    payload = f"{seq & 0xFFFF},{t_us},{values},{flag_digits}".encode()
    return b"$" + payload + b"*" + f"{crc16(payload):04x}".encode() + b"\n"


def encode_note(text):
    """A '#' line: anything that is not a sample."""
    return ("# " + text + "\n").encode()


def parse_command(line):
    """(name, argument or None) from a command line, or None if it is not one we know.

    >>> parse_command(b"rate 80\\n")
    ('rate', 80)
    >>> parse_command(b"start")
    ('start', None)
    """
    words = line.decode("ascii", "replace").strip().split()
    if not words:
        return None
    name = words[0]
    if name in ("hello", "start", "stop") and len(words) == 1:
        return name, None
    if name in ("rate", "channels") and len(words) == 2 and words[1].isdigit():
        return name, int(words[1])
    return None
