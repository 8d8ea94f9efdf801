"""hardware/ and firmware/ documents agree with the code they describe."""

import csv
import io
import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from pfsense.live.cues import CuePins
from pfsense.sensors.gpio import DEFAULT_PINS

ROOT = Path(__file__).resolve().parent.parent
HARDWARE = ROOT / "hardware"


def svg_text(name: str) -> str:
    tree = ElementTree.parse(HARDWARE / name)  # raises if the SVG is not well-formed
    return " ".join(node.text or "" for node in tree.iter())


def test_the_bill_of_materials_is_complete_and_priced():
    text = (HARDWARE / "bom.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert set(rows[0]) >= {"part", "quantity", "path", "description", "price_eur_each"}
    assert all(float(row["price_eur_each"]) > 0 and int(row["quantity"]) > 0 for row in rows)
    parts = " ".join(row["part"] for row in rows).lower()
    for needed in ("raspberry pi pico", "hx711", "load cell", "button", "led", "buzzer"):
        assert needed in parts


def test_the_pico_wiring_names_the_firmwares_pins():
    code = (ROOT / "firmware" / "pico" / "code.py").read_text()
    pins = re.findall(r"board\.(GP\d+), board\.(GP\d+)", code)
    text = svg_text("wiring-pico.svg")
    assert len(pins) == 4
    for index, (dout, sck) in enumerate(pins, start=1):
        assert f"{dout}  DOUT cell {index}" in text
        assert f"{sck}  SCK  cell {index}" in text


def test_the_pi_wiring_names_the_drivers_and_cues_default_pins():
    text = svg_text("wiring-pi.svg")
    dout, sck = DEFAULT_PINS[0]
    assert f"GPIO{dout} " in text
    assert f"GPIO{sck} " in text
    cues = CuePins()
    for pin in (cues.button, cues.led, cues.buzzer):
        assert f"GPIO{pin} " in text
    assert ", ".join(f"{d}:{s}" for d, s in DEFAULT_PINS[1:]) in text


def test_the_mount_model_has_its_parameters_and_parts():
    scad = (HARDWARE / "mount.scad").read_text()
    for name in ("ball_d", "plate_width", "plate_length", "cell_length", "cell_inset"):
        assert re.search(rf"^{name} = [\d.]+;", scad, re.MULTILINE)
    for part in ("cradle", "plate_spacers", "plate_drilling"):
        assert f'part == "{part}"' in scad
