"""Stand-in for CircuitPython's `board`: named pins GP0..GP28."""


class Pin:
    def __init__(self, name):
        self.name = name
        self.level = False
        self.read_hook = None  # an emulated device driving this pin
        self.write_hook = None  # an emulated device listening to it

    def __repr__(self):
        return f"board.{self.name}"


for _number in range(29):
    globals()[f"GP{_number}"] = Pin(f"GP{_number}")
