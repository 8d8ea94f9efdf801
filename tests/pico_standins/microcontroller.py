"""Stand-in for CircuitPython's `microcontroller`, on a virtual microsecond clock."""


class Clock:
    def __init__(self):
        self.now_us = 0.0

    def advance(self, us):
        self.now_us += us


clock = Clock()
interrupts_enabled = True


def delay_us(us):
    clock.advance(us)


def disable_interrupts():
    global interrupts_enabled
    interrupts_enabled = False


def enable_interrupts():
    global interrupts_enabled
    interrupts_enabled = True
