"""The Pico firmware under CPython: stand-ins for CircuitPython's modules in sys.modules, the
firmware's lib/ on the path, and emulated HX711s on the stand-in pins."""

import importlib
import sys
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STANDINS = Path(__file__).resolve().parent / "pico_standins"
FIRMWARE_LIB = ROOT / "firmware" / "pico" / "lib"
STANDIN_MODULES = ("board", "digitalio", "microcontroller", "usb_cdc")
FRESH = ("adafruit_hx711", "pfsense_pico")


@contextmanager
def circuitpython():
    """Import the firmware's modules as on a Pico: yields a namespace of them."""
    saved = {name: sys.modules.get(name) for name in STANDIN_MODULES}
    for name in list(sys.modules):
        if name.split(".")[0] in FRESH:
            del sys.modules[name]
    sys.path[:0] = [str(STANDINS), str(FIRMWARE_LIB)]
    try:
        for name in STANDIN_MODULES:
            sys.modules.pop(name, None)
            importlib.import_module(name)
        yield _Modules()
    finally:
        sys.path.remove(str(STANDINS))
        sys.path.remove(str(FIRMWARE_LIB))
        for name in list(sys.modules):
            if name.split(".")[0] in FRESH:
                del sys.modules[name]
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


class _Modules:
    def __getattr__(self, name):
        return importlib.import_module(name if name in STANDIN_MODULES else f"pfsense_pico.{name}")


def channels(cp, emulators):
    """Reader channels on GP2/GP3, GP4/GP5, ... each wired to an emulated HX711."""
    from tests.hx711_emulator import EmulatedHX711  # noqa: F401 - for the type only

    made = []
    for index, emulator in enumerate(emulators):
        dout, sck = getattr(cp.board, f"GP{2 + 2 * index}"), getattr(cp.board, f"GP{3 + 2 * index}")
        emulator.attach(dout, sck)
        data, clock = cp.digitalio.DigitalInOut(dout), cp.digitalio.DigitalInOut(sck)
        clock.direction = cp.digitalio.Direction.OUTPUT
        made.append(cp.reader.Channel(data, clock))
    return made
