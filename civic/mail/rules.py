"""Pure decisions of the sender: backoff, what an SMTP answer means, what may be logged."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import unquote, urlsplit

_ADDRESS = re.compile(r"[^\s<>()\[\]\"',;:@]+@[^\s<>()\[\]\"',;:@]+")
_SCHEMES = {"smtp": (25, "plain"), "smtp+starttls": (587, "starttls"), "smtps": (465, "ssl")}


class Outcome(enum.StrEnum):
    """What to do with a message after one attempt."""

    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"


@dataclass(frozen=True)
class MailUrl:
    """Where and how to reach the SMTP server (from MAIL_URL)."""

    host: str
    port: int
    security: str  # plain | starttls | ssl
    username: str | None = None
    password: str | None = None


def parse_mail_url(url: str) -> MailUrl:
    """Parse smtp://, smtp+starttls:// or smtps://[user:password@]host[:port]."""
    parts = urlsplit(url)
    if parts.scheme not in _SCHEMES:
        raise ValueError(f"MAIL_URL scheme must be one of {', '.join(sorted(_SCHEMES))}")
    if not parts.hostname:
        raise ValueError("MAIL_URL needs a host")
    default_port, security = _SCHEMES[parts.scheme]
    return MailUrl(
        host=parts.hostname,
        port=parts.port or default_port,
        security=security,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def backoff(attempts: int, base: timedelta, cap: timedelta) -> timedelta:
    """Wait before the next attempt after `attempts` failed ones: base, 2·base, 4·base ... cap."""
    if attempts < 1:
        return timedelta(0)
    return min(base * 2 ** min(attempts - 1, 40), cap)


def after_failure(
    attempts: int,
    permanent: bool,
    max_attempts: int,
    now: datetime,
    base: timedelta,
    cap: timedelta,
) -> tuple[Outcome, datetime]:
    """Decide between retry (and when) and giving up, after a failed attempt."""
    if permanent or attempts >= max_attempts:
        return Outcome.FAILED, now
    return Outcome.RETRY, now + backoff(attempts, base, cap)


def is_permanent(code: int | None) -> bool:
    """5xx SMTP replies are final; 4xx replies and network errors are worth retrying."""
    return code is not None and 500 <= code < 600


def scrub(text: str, limit: int = 500) -> str:
    """Error text fit for logs and the audit trail: no e-mail addresses, bounded length."""
    cleaned = _ADDRESS.sub("<address>", " ".join(text.split()))
    return cleaned[:limit]


def safe_header(value: str) -> bool:
    """True when a header value cannot inject further headers."""
    return "\r" not in value and "\n" not in value
