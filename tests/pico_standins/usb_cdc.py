"""Stand-in for CircuitPython's `usb_cdc`: `data` is whatever the test connects."""

console = None
data = None


def enable(console=True, data=False):
    return True
