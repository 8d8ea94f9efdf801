"""Checks on what a therapist or the API enters: each failure names the field, says what is
wrong and what was expected (pfsense.errors.InvalidInput)."""

import math

from pfsense.errors import InvalidInput


def text(field: str, value: object, max_chars: int, required: bool = True) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(field, f"expected text, got {type(value).__name__}")
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
        try:
            value = float(value.strip())
        except ValueError:
            raise InvalidInput(field, f"{value!r} is not a number") from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(field, f"expected a number, got {type(value).__name__}")
    if not math.isfinite(value) or not low <= value <= high:
        raise InvalidInput(field, f"{value:g} is out of range; expected {low:g} to {high:g}{unit}")
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
