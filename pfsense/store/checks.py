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


def text(field: str, value: object, max_chars: int, required: bool = True) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(field, f"expected text, got {type(value).__name__}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate ("\ud800") from JSON: not text
        raise InvalidInput(
            field, "contains a character that is not text (a lone surrogate)"
        ) from None
    value = value.strip()
    if required and not value:
        raise InvalidInput(field, "is empty; expected some text")
    if len(value) > max_chars:
        raise InvalidInput(field, f"is {len(value)} characters; at most {max_chars}")
    if any(ord(c) < 32 and c not in "\n\t" for c in value):
        raise InvalidInput(field, "contains control characters")
    return value


def number(field: str, value: object, low: float, high: float, unit: str = "") -> float:
    """A finite number within [low, high], never silently clamped."""
    if isinstance(value, str):
        given = value
        try:
            value = float(value.strip())
        except ValueError:
            raise InvalidInput(field, f"{_short(given)} is not a number") from None
        if not math.isfinite(value):  # "1e999", or 400 digits: say what was sent, not "inf"
            raise InvalidInput(
                field, f"{_short(given)} is out of range; expected {low:g} to {high:g}{unit}"
            )
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(field, f"expected a number, got {type(value).__name__}")
    # An int is compared as it is: one too large for a float (400 digits) is simply out of range.
    if (isinstance(value, float) and not math.isfinite(value)) or not low <= value <= high:
        shown = f"{value:g}" if isinstance(value, float) or abs(value) < 10**15 else _short(value)
        raise InvalidInput(field, f"{shown} is out of range; expected {low:g} to {high:g}{unit}")
    return float(value)


def choice(field: str, value: object, choices) -> str:
    names = [str(c) for c in choices]
    if value not in names:
        raise InvalidInput(field, f"{value!r} is not one of {', '.join(names)}")
    return str(value)


def band(field: str, low: float, high: float) -> tuple[float, float]:
    if low >= high:
        raise InvalidInput(field, f"low {low:g} must be below high {high:g}")
    return low, high
