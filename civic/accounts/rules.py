"""Pure account rules: the password policy and the throttling arithmetic."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024

# A short list of passwords that attackers try first (all 12+ characters, lower-cased);
# shorter ones are already refused by the length rule.
COMMON_PASSWORDS = frozenset(
    {
        "123456789012",
        "1234567890123",
        "12345678910111213",
        "qwertyuiopasdfghjkl",
        "qwertyuiop123",
        "qwerty123456",
        "qwertyqwerty",
        "password1234",
        "password12345",
        "password123456",
        "passwordpassword",
        "wachtwoord123",
        "wachtwoord1234",
        "wachtwoordwachtwoord",
        "welkom123456",
        "welkomwelkom",
        "iloveyou1234",
        "abcdefghijkl",
        "abcdefghijklmnop",
        "abc123abc123",
        "aaaaaaaaaaaa",
        "111111111111",
        "000000000000",
        "letmein12345",
        "administrator",
        "administrator1",
        "changeme1234",
        "correcthorsebatterystaple",
        "correct horse battery staple",
        "trustno1trustno1",
        "football1234",
        "sunshine1234",
        "princess1234",
        "monkey123456",
        "dragon123456",
        "master123456",
        "superman1234",
        "zaq12wsxcde3",
        "1q2w3e4r5t6y",
        "1qaz2wsx3edc",
        "civic1234567",
        "amsterdam123",
        "nederland123",
    }
)


def password_problems(password: str, email: str | None = None) -> list[Any]:
    """Reasons why `password` is too weak (empty list: acceptable)."""
    problems: list[Any] = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(_l("Use at least %(count)s characters.", count=MIN_PASSWORD_LENGTH))
    if len(password) > MAX_PASSWORD_LENGTH:
        problems.append(_l("Use at most %(count)s characters.", count=MAX_PASSWORD_LENGTH))
    lowered = password.strip().lower()
    if email and lowered in (email.strip().lower(), email.strip().lower().split("@")[0]):
        problems.append(_l("Do not use your e-mail address as your password."))
    if lowered in COMMON_PASSWORDS or (password and len(set(password)) == 1):
        problems.append(_l("This password is too common. Choose a less predictable one."))
    return problems


@dataclass(frozen=True)
class ThrottleRule:
    """At most `limit` failures within `window`."""

    limit: int
    window: timedelta


def retry_after(failures: Sequence[datetime], rule: ThrottleRule, now: datetime) -> int:
    """Seconds until another attempt is allowed (0: allowed now); `failures` in any order."""
    recent = sorted(t for t in failures if t > now - rule.window)
    if len(recent) < rule.limit:
        return 0
    # The attempt frees up when enough of the oldest failures have left the window.
    frees_at = recent[len(recent) - rule.limit] + rule.window
    return max(1, math.ceil((frees_at - now).total_seconds()))
