"""Checks on what a therapist or the API enters: each failure names the field, says what is
wrong and what was expected (pfsense.errors.InvalidInput)."""

import math

from pfsense.errors import InvalidInput

MAX_ROW_ID = 2**63 - 1  # SQLite's largest integer: every id pfsense hands out is below it


def row_id(field: str, value: object) -> int:
    """A database id: a whole number from 1 to MAX_ROW_ID (as a number or its digits)."""
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        text_value = value.strip()
        value = int(text_value) if len(text_value) <= 19 else MAX_ROW_ID + 1
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ROW_ID:
        raise InvalidInput(
            field, f"{_short(value)} is not an id: expected a whole number, 1 or more"
        )
    return value


def _short(value: object) -> str:
    """A value for a message, never its whole self: a 400-digit number is 'a number this large'."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**15:
        return "a number this large"
    text_value = repr(value)
    return text_value if len(text_value) <= 40 else text_value[:37] + "..."


def text(
    field: str, value: object, max_chars: int, required: bool = True, label: str | None = None
) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(field, f"expected text, got {type(value).__name__}", label)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate ("\ud800") from JSON: not text
        raise InvalidInput(
            field, "contains a character that is not text (a lone surrogate)", label
        ) from None
    value = value.strip()
    if required and not value:
        raise InvalidInput(field, "is empty; enter some text", label)
    if len(value) > max_chars:
        raise InvalidInput(field, f"is {len(value)} characters; at most {max_chars}", label)
    if any(ord(c) < 32 and c not in "\n\t" for c in value):
        raise InvalidInput(field, "contains control characters", label)
    return value


def number(
    field: str, value: object, low: float, high: float, unit: str = "", label: str | None = None
) -> float:
    """A finite number within [low, high], never silently clamped; an empty field is not 0.

    >>> number("foot_mm", " ", 150, 350, " mm", "Foot length (mm)")
    Traceback (most recent call last):
    ...
    pfsense.errors.InvalidInput: Foot length (mm) is empty; enter a number from 150 to 350 mm
    """
    given = _parsed(field, value, f"a number from {low:g} to {high:g}{unit}", label)
    return _within(field, given, low, high, unit, label)


def percent(field: str, value: object, low: float, high: float, label: str | None = None) -> float:
    """A fraction (0.2) within [low, high], told as the percent a page asks for (20 %).

    >>> percent("tolerance", 0.9, 0.05, 0.5, "Tolerance (%)")
    Traceback (most recent call last):
    ...
    pfsense.errors.InvalidInput: Tolerance (%): 90 is too large; enter 5 to 50 %
    """
    expected = f"a number from {100 * low:g} to {100 * high:g} %"
    shown = 100 * _parsed(field, value, expected, label)  # an int stays one: 400 digits too
    return _within(field, shown, 100.0 * low, 100.0 * high, " %", label) / 100.0


def _parsed(field: str, value: object, expected: str, label: str | None) -> float | int:
    """A number from JSON or a form: an int or float, or its text; empty is an error of its own."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InvalidInput(field, f"is empty; enter {expected}", label)
    if isinstance(value, str):
        given = value
        try:
            value = float(value.strip())
        except ValueError:
            problem = f"{_short(given)} is not a number; enter {expected}"
            raise InvalidInput(field, problem, label) from None
        if not math.isfinite(value):  # "1e999", or 400 digits: say what was sent, not "inf"
            raise InvalidInput(field, f"{_short(given)} is too large; enter {expected}", label)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(
            field, f"is not a number (got {type(value).__name__}); enter {expected}", label
        )
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidInput(field, f"{value:g} is not a usable number; enter {expected}", label)
    return value


def _within(
    field: str, value: float | int, low: float, high: float, unit: str, label: str | None
) -> float:
    # An int is compared as it is: one too large for a float (400 digits) is simply too large.
    if low <= value <= high:
        return float(value)
    shown = f"{value:g}" if isinstance(value, float) or abs(value) < 10**15 else _short(value)
    timed = unit.strip() == "s"
    if value < low:
        too = "too short" if timed else "too small"
    else:
        too = "too long" if timed else "too large"
    raise InvalidInput(field, f"{shown} is {too}; enter {low:g} to {high:g}{unit}", label)


def choice(field: str, value: object, choices, label: str | None = None) -> str:
    names = [str(c) for c in choices]
    if value not in names:
        shown = ", ".join(name.replace("_", " ") for name in names)
        raise InvalidInput(field, f"{_short(value)} is not one of {shown}", label)
    return str(value)


def band(
    field: str, low: float, high: float, unit: str = "", label: str | None = None
) -> tuple[float, float]:
    """(low, high), low below high."""
    if low >= high:
        raise InvalidInput(
            field, f"the low end {low:g}{unit} must be below the high end {high:g}{unit}", label
        )
    return low, high
