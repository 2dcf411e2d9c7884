"""Letter codes: issuing, looking up, throttling wrong guesses, and verifying residents."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from civic import audit, clock
from civic.accounts.models import User
from civic.errors import InvalidInput, NotFound, Throttled
from civic.extensions import db
from panels import codes
from panels.models import (
    CodeAttempt,
    CodePurpose,
    Invitation,
    LetterCode,
    RegisterPerson,
    RegisterStatus,
    ResidentLink,
)
from panels.register import register_key

DEFAULT_VALID_DAYS = 180
ATTEMPT_WINDOW = timedelta(hours=1)
VERIFY_LIMIT = 10  # wrong codes per user per hour
REPLY_LIMIT = 20  # wrong codes per IP address per hour


class CodeRejected(InvalidInput):
    """A letter code that cannot be used; the message says why."""

    code = "code_rejected"


def hmac_key() -> bytes:
    """The server key for codes and register ids."""
    return str(current_app.config["REGISTER_HMAC_KEY"]).encode()


def valid_days() -> int:
    """How long a code stays valid after its reply deadline (or issue, for clerk codes)."""
    return int(current_app.config.get("PANELS_CODE_VALID_DAYS", DEFAULT_VALID_DAYS))


def issue_code(
    person_id: int,
    purpose: CodePurpose,
    *,
    expires_at: datetime,
    invitation: Invitation | None = None,
    issued_by: User | None = None,
) -> tuple[LetterCode, str]:
    """Add a new code row (no audit: the caller's state change covers it); return it and
    the normalized code."""
    nonce = codes.new_nonce()
    code = codes.derive_code(hmac_key(), nonce)
    row = LetterCode(
        code_hash=codes.code_hash(hmac_key(), code),
        nonce=nonce,
        person_id=person_id,
        invitation_id=invitation.id if invitation is not None else None,
        purpose=purpose,
        issued_by_id=issued_by.id if issued_by is not None else None,
        created_at=clock.now(),
        expires_at=expires_at,
    )
    db.session.add(row)
    return row, code


def clear_code(row: LetterCode) -> str:
    """The code behind a row, grouped for printing (derived again from the server key)."""
    return codes.display(codes.derive_code(hmac_key(), row.nonce))


def ip_key(ip: str | None) -> str:
    """An IP address in the stored form used for throttling (keyed hash, not the address)."""
    return hashlib.sha256(hmac_key() + b"ip:" + (ip or "-").encode()).hexdigest()


def check_throttle(scope: str, key: str, limit: int) -> None:
    """Refuse when `key` made `limit` wrong attempts within the window."""
    since = clock.now() - ATTEMPT_WINDOW
    count = db.session.scalar(
        select(func.count())
        .select_from(CodeAttempt)
        .where(CodeAttempt.scope == scope, CodeAttempt.key == key, CodeAttempt.at > since)
    )
    if int(count or 0) >= limit:
        raise Throttled(_l("Too many wrong codes. Please wait an hour and try again."))


def note_failure(scope: str, key: str) -> None:
    """Count one wrong code; rows older than a day are dropped on the way."""
    now = clock.now()
    db.session.execute(delete(CodeAttempt).where(CodeAttempt.at < now - timedelta(days=1)))
    db.session.add(CodeAttempt(scope=scope, key=key, at=now))
    db.session.flush()


def find_code(text: str, scope: str, key: str, limit: int) -> LetterCode:
    """The code row for typed text; a wrong code is counted and refused (the caller commits
    the count even though this raises)."""
    check_throttle(scope, key, limit)
    normal = codes.normalize(text)
    if normal is None:
        note_failure(scope, key)
        raise CodeRejected(_l("This is not a valid code. A code has 12 letters and digits."))
    row = db.session.scalar(
        select(LetterCode).where(LetterCode.code_hash == codes.code_hash(hmac_key(), normal))
    )
    if row is None:
        note_failure(scope, key)
        raise CodeRejected(_l("We do not know this code. Please check it and try again."))
    return row


def _check_redeemable(user: User, row: LetterCode, now: datetime) -> RegisterPerson:
    if row.redeemed_at is not None:
        raise CodeRejected(_l("This code has already been used."))
    if row.expires_at <= now:
        raise CodeRejected(_l("This code has expired. Ask the municipality for a new code."))
    person = db.session.get(RegisterPerson, row.person_id)
    if person is None or person.status != RegisterStatus.ACTIVE:
        raise CodeRejected(_l("This code belongs to someone who is no longer in the register."))
    if db.session.scalar(select(ResidentLink.id).where(ResidentLink.user_id == user.id)):
        raise CodeRejected(_l("Your account is already verified."))
    if db.session.scalar(select(ResidentLink.id).where(ResidentLink.person_id == person.id)):
        raise CodeRejected(_l("This resident is already linked to another account."))
    return person


def redeem(user: User, text: str) -> ResidentLink:
    """Verify `user` as the register person behind a letter code (one account per person)."""
    row = find_code(text, "verify", f"user:{user.id}", VERIFY_LIMIT)
    now = clock.now()
    person = _check_redeemable(user, row, now)
    taken = db.session.execute(
        update(LetterCode)
        .where(LetterCode.id == row.id, LetterCode.redeemed_at.is_(None))
        .values(redeemed_at=now, redeemed_by_id=user.id)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        raise CodeRejected(_l("This code has already been used."))
    link = ResidentLink(user_id=user.id, person_id=person.id, code_id=row.id, verified_at=now)
    db.session.add(link)
    try:
        db.session.flush()
    except IntegrityError:  # a concurrent redeem linked the person or the account first
        db.session.rollback()
        raise CodeRejected(_l("This resident is already linked to another account.")) from None
    before = {"verified_at": user.verified_at.isoformat() if user.verified_at else None}
    if user.verified_at is None:
        user.verified_at = now
    after = {"verified_at": user.verified_at.isoformat(), "person_id": person.id}
    audit.record(user, "resident.verified", link, before, {**after, "code_id": row.id})
    db.session.flush()
    return link


def person_by_register_id(register_id: str) -> RegisterPerson:
    """The person behind a clear register id typed by a clerk (hashed, never stored)."""
    if not register_id.strip():
        raise InvalidInput(_l("Enter a register id."))
    person = db.session.scalar(
        select(RegisterPerson).where(
            RegisterPerson.register_key == register_key(register_id, hmac_key())
        )
    )
    if person is None:
        raise NotFound(_l("Nobody in the register has this id."))
    return person


def clerk_issue_code(clerk: User, register_id: str) -> tuple[LetterCode, str]:
    """Issue a verification code for anyone in the register, on request (audited, no id)."""
    person = person_by_register_id(register_id)
    if person.status != RegisterStatus.ACTIVE:
        raise InvalidInput(_l("This person is not an active resident in the register."))
    expires = clock.now() + timedelta(days=valid_days())
    row, code = issue_code(person.id, CodePurpose.CLERK, expires_at=expires, issued_by=clerk)
    db.session.flush()
    after: dict[str, Any] = {
        "purpose": "clerk",
        "person_id": person.id,
        "expires_at": expires.isoformat(),
    }
    audit.record(clerk, "letter_code.issued", row, after=after)
    return row, codes.display(code)


def link_for(user: User) -> ResidentLink | None:
    """The user's resident link, if verified through a letter code."""
    return db.session.scalar(select(ResidentLink).where(ResidentLink.user_id == user.id))
