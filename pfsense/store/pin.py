"""The therapist's PIN: 4-12 digits, kept only as a salted scrypt hash in the settings table."""

import hashlib
import hmac
import secrets
import sqlite3

from pfsense.errors import InvalidInput
from pfsense.store.db import transaction

PIN_DIGITS = (4, 12)
# scrypt's interactive-login cost (n=2^14, r=8): ~50 ms a guess on a Pi-class CPU, cheap for one
# login and slow for guessing; with the login throttle, a 4-digit PIN takes days to guess.
SCRYPT = {"n": 2**14, "r": 8, "p": 1}
SETTING = "therapist_pin"


def checked_pin(pin: object) -> str:
    low, high = PIN_DIGITS
    if not isinstance(pin, str) or not pin.isdigit() or not low <= len(pin) <= high:
        raise InvalidInput("pin", f"expected {low} to {high} digits")
    return pin


def pin_is_set(connection: sqlite3.Connection) -> bool:
    return _stored(connection) is not None


def set_pin(connection: sqlite3.Connection, pin: str) -> None:
    salt = secrets.token_bytes(16)
    digest = _hash(checked_pin(pin), salt)
    value = f"scrypt${SCRYPT['n']}${SCRYPT['r']}${SCRYPT['p']}${salt.hex()}${digest.hex()}"
    with transaction(connection):
        connection.execute(
            "INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)", (SETTING, value)
        )


def pin_matches(connection: sqlite3.Connection, pin: object) -> bool:
    stored = _stored(connection)
    if stored is None or not isinstance(pin, str) or not pin.isascii():
        return False  # a PIN is digits: anything else (a lone surrogate too) is simply wrong
    _scheme, n, r, p, salt, digest = stored.split("$")
    guess = hashlib.scrypt(
        pin.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32
    )
    return hmac.compare_digest(guess, bytes.fromhex(digest))


def stored_stamp(connection: sqlite3.Connection) -> str | None:
    """What identifies the PIN now set (its salted hash): changes whenever the PIN does."""
    return _stored(connection)


def _hash(pin: str, salt: bytes) -> bytes:
    return hashlib.scrypt(pin.encode(), salt=salt, dklen=32, **SCRYPT)


def _stored(connection: sqlite3.Connection) -> str | None:
    row = connection.execute("SELECT value FROM settings WHERE key = ?", (SETTING,)).fetchone()
    return row["value"] if row else None
