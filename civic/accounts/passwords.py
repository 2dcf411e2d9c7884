"""argon2id password hashing (argon2-cffi's defaults follow RFC 9106's recommendations)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

_STRONG = PasswordHasher()  # argon2id, 64 MiB, t=3, p=4
# Tests only: same algorithm (argon2id), cheaper parameters so the suite stays fast.
_FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def _hasher() -> PasswordHasher:
    return _FAST if current_app.config.get("PASSWORD_HASHER_FAST") else _STRONG


def hash_password(password: str) -> str:
    """An argon2id hash string, starting with `$argon2id$`."""
    return _hasher().hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """True if `password` matches; never raises on a wrong or malformed hash."""
    try:
        return _hasher().verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    return _hasher().check_needs_rehash(stored_hash)


# Verified against when the e-mail is unknown, so both paths cost the same time.
def dummy_verify(password: str) -> None:
    """Spend the time of one verification for an unknown account."""
    verify_password(_dummy_hash(), password)


_DUMMY: dict[bool, str] = {}


def _dummy_hash() -> str:
    fast = bool(current_app.config.get("PASSWORD_HASHER_FAST"))
    if fast not in _DUMMY:
        _DUMMY[fast] = _hasher().hash("not-a-real-password")
    return _DUMMY[fast]
