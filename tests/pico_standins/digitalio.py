"""Stand-in for CircuitPython's `digitalio`: DigitalInOut on a board.Pin."""


class Direction:
    INPUT = "input"
    OUTPUT = "output"


class Pull:
    UP = "up"
    DOWN = "down"


class DigitalInOut:
    def __init__(self, pin):
        self._pin = pin
        self.direction = Direction.INPUT
        self.pull = None

    @property
    def value(self):
        if self._pin.read_hook is not None:
            return bool(self._pin.read_hook())
        if self.pull == Pull.UP and self._pin.write_hook is None and not self._pin.level:
            return True  # nothing drives it: the pull-up wins
        return bool(self._pin.level)

    @value.setter
    def value(self, level):
        self._pin.level = bool(level)
        if self._pin.write_hook is not None:
            self._pin.write_hook(bool(level))

    def deinit(self):
        pass
