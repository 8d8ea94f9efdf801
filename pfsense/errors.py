"""One exception tree for pfsense, mixing in the builtin each error also is (as gpiozero does).

Every message says what went wrong, where, and what was expected, so the CLI can print it as one
line and a user can act on it.
"""


class PfsenseError(Exception):
    """Base of every error pfsense raises on purpose."""


class ConfigError(PfsenseError, ValueError):
    """An option or setting is out of range or of the wrong kind."""


class SensorError(PfsenseError):
    """Something is wrong with a sensor or its data."""


class UnknownSensor(SensorError, LookupError):
    """A sensor name that no driver answers to."""


class SensorTimeout(SensorError, TimeoutError):
    """No sample arrived within the timeout: the sensor is stalled, unplugged or unpowered."""


class SensorClosed(SensorError):
    """The sensor was used after close()."""


class RecordingError(PfsenseError, ValueError):
    """A recording file cannot be read; the message names the file and line."""

    def __init__(self, path: object, line: int | None, problem: str) -> None:
        where = f"{path}:{line}" if line is not None else f"{path}"
        super().__init__(f"{where}: {problem}")
        self.path = path
        self.line = line
        self.problem = problem


class CalibrationError(PfsenseError, ValueError):
    """A tare or calibration step was refused; the message says why and what to do."""


class LiveStateError(PfsenseError):
    """A request that does not fit what the live service is doing now (a session already running,
    none to stop, a sensor that is not streaming); the message says what to do instead."""


class InvalidInput(PfsenseError, ValueError):
    """A value a user entered is out of range or of the wrong kind. `field` names it as the code
    does (for a page to find its input), `label` as a person sees it, `problem` says what is
    wrong and what to enter; the message is the label and the problem.

    >>> str(InvalidInput("foot_mm", "is empty; enter a number from 150 to 350", "Foot length"))
    'Foot length is empty; enter a number from 150 to 350'
    >>> str(InvalidInput("foot_mm", "90 is too small; enter 150 to 350", "Foot length"))
    'Foot length: 90 is too small; enter 150 to 350'
    """

    def __init__(self, field: str, problem: str, label: str | None = None) -> None:
        self.field = field
        self.problem = problem
        self.label = label or field
        # "Name is empty" reads on from the label; "Name: 'x' is ..." needs the colon.
        joiner = " " if problem.startswith("is ") else ": "
        super().__init__(f"{self.label}{joiner}{problem}")


class DuplicateName(InvalidInput):
    """A patient's name that another patient already has: `existing` lists who (id, name, foot
    length), so the therapist can tell them apart before adding a second one."""

    def __init__(self, name: str, existing: list[dict]) -> None:
        who = "; ".join(f"patient {p['id']}, foot {p['foot_mm']:g} mm" for p in existing)
        problem = (
            f"another patient is already called {name} ({who}): if this is someone else, "
            "confirm to keep both"
        )
        super().__init__("name", problem, "Name")
        self.existing = existing


class NotFound(PfsenseError, LookupError):
    """A patient, session or other record that does not exist."""


class DemonstrationError(PfsenseError, ValueError):
    """A demonstration that cannot give a target (too short, too little pressure); says why."""
