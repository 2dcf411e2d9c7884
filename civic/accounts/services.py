"""Account use cases: sign-up, confirmation, log-in/out, password reset and change, profile.

Services flush and never commit; the view commits once. None of them reads the request.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from civic import audit, clock
from civic.accounts import mails, throttle, tokens
from civic.accounts.models import Role, TokenPurpose, User
from civic.accounts.passwords import dummy_verify, hash_password, needs_rehash, verify_password
from civic.accounts.rules import password_problems
from civic.accounts.sessions import end_all_sessions, end_session, start_session
from civic.errors import CivicError, InvalidInput
from civic.extensions import db

RESEND_PAUSE_SECONDS = 60


class LoginRefused(CivicError):
    """Wrong e-mail or password (deliberately vague)."""

    code = "login_refused"
    status = 401
    default_message = _l("The e-mail address or password is not correct.")


class EmailNotConfirmed(CivicError):
    """Right password, but the address was never confirmed."""

    code = "email_not_confirmed"
    status = 403
    default_message = _l(
        "Please confirm your e-mail address first. We can send you a new confirmation link."
    )


class InvalidLink(CivicError):
    """A confirmation or reset link that is forged, expired or already used."""

    code = "invalid_link"
    status = 400
    default_message = _l(
        "This link is not valid. It may have expired or been used already. "
        "Please ask for a new one."
    )


def normalise_email(email: str) -> str:
    """E-mail addresses are compared and stored lower-cased and trimmed."""
    return email.strip().lower()


def find_user(email: str) -> User | None:
    """The account with this address, if any."""
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def check_password_policy(password: str, email: str | None) -> None:
    """Raise InvalidInput naming every rule the password breaks."""
    problems = password_problems(password, email)
    if problems:
        raise InvalidInput(" ".join(str(p) for p in problems), field="password")


def sign_up(email: str, password: str, display_name: str | None, locale: str | None) -> None:
    """Create an unconfirmed resident and mail a confirmation link.

    A known address gets a notice mail instead, so the answer never reveals who has an account.
    """
    email = normalise_email(email)
    check_password_policy(password, email)
    password_hash = hash_password(password)  # also for known addresses: same time either way
    existing = find_user(email)
    if existing is not None:
        mails.send_already_registered(existing)
        return
    user = User(
        email=email,
        password_hash=password_hash,
        display_name=(display_name or "").strip() or None,
        role=Role.RESIDENT,
        locale=locale,
        created_at=clock.now(),
    )
    db.session.add(user)
    db.session.flush()
    audit.record(user, "account.created", user, None, {"role": user.role.value})
    mails.send_confirmation(user, tokens.issue(user, TokenPurpose.CONFIRM))


def resend_confirmation(email: str) -> None:
    """Send a new confirmation link to an unconfirmed account; silently nothing otherwise."""
    user = find_user(email)
    if user is None or not user.active or user.email_confirmed_at is not None:
        return
    if tokens.recently_issued(user, TokenPurpose.CONFIRM, RESEND_PAUSE_SECONDS):
        return
    mails.send_confirmation(user, tokens.issue(user, TokenPurpose.CONFIRM))


def confirm_email(token: str) -> User:
    """Use a confirmation link: the account may log in from now on."""
    user = tokens.consume(token, TokenPurpose.CONFIRM)
    if user is None:
        raise InvalidLink()
    if user.email_confirmed_at is None:
        user.email_confirmed_at = clock.now()
        audit.record(user, "account.confirmed", user, {"confirmed": False}, {"confirmed": True})
    db.session.flush()
    return user


def _login_failed(user: User | None, key: str, ip: str, reason: str) -> None:
    throttle.record_failure(key, ip)
    if user is not None:
        audit.record(
            "anonymous",
            "login.failed",
            user,
            None,
            {"ip": throttle.ip_pseudonym(ip), "reason": reason},
        )
    else:  # no e-mail address of an unknown account in the log: only a key prefix
        audit.record(
            "anonymous",
            "login.failed",
            None,
            None,
            {"ip": throttle.ip_pseudonym(ip), "reason": reason},
            object_type="login",
            object_id=key[:16],
        )


def log_in(email: str, password: str, ip: str) -> tuple[User, str]:
    """Check throttling and credentials; start a server-side session and return its token.

    Raises Throttled, LoginRefused or EmailNotConfirmed. The caller commits in every case,
    so that failures are counted.
    """
    key = throttle.account_key(email)
    throttle.check(key, ip)
    user = find_user(email)
    if user is None:
        dummy_verify(password)
        _login_failed(None, key, ip, "unknown_account")
        raise LoginRefused()
    if not verify_password(user.password_hash, password):
        _login_failed(user, key, ip, "wrong_password")
        raise LoginRefused()
    if not user.active:
        _login_failed(user, key, ip, "inactive")
        raise LoginRefused()
    if user.email_confirmed_at is None:
        audit.record(
            "anonymous",
            "login.failed",
            user,
            None,
            {"ip": throttle.ip_pseudonym(ip), "reason": "unconfirmed"},
        )
        raise EmailNotConfirmed()
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    throttle.clear_account(key)
    token = start_session(user)
    audit.record(user, "login.succeeded", user, None, {"ip": throttle.ip_pseudonym(ip)})
    return user, token


def log_out(user: User, token: str | None) -> None:
    """End this session on the server, so a copy of the cookie stops working too."""
    end_session(token)
    audit.record(user, "session.ended", user, None, {"reason": "logout"})


def request_password_reset(email: str) -> None:
    """Mail a reset link when the address belongs to an active account; otherwise nothing."""
    user = find_user(email)
    if user is None or not user.active:
        return
    if tokens.recently_issued(user, TokenPurpose.RESET, RESEND_PAUSE_SECONDS):
        return
    mails.send_reset(user, tokens.issue(user, TokenPurpose.RESET))


def check_reset_link(token: str) -> User:
    """The user of a valid reset link (not used up); InvalidLink otherwise."""
    user = tokens.peek(token, TokenPurpose.RESET)
    if user is None:
        raise InvalidLink()
    return user


def reset_password(token: str, password: str) -> User:
    """Set a new password through a reset link; ends every session of the account."""
    user = tokens.peek(token, TokenPurpose.RESET)
    if user is None:
        raise InvalidLink()
    check_password_policy(password, user.email)
    if tokens.consume(token, TokenPurpose.RESET) is None:
        raise InvalidLink()
    _set_password(user, password)
    end_all_sessions(user)
    after: dict[str, Any] = {"sessions": "ended"}
    if user.email_confirmed_at is None:  # the link proved control of the address
        user.email_confirmed_at = clock.now()
        after["confirmed"] = True
    audit.record(user, "password.reset", user, None, after)
    return user


def _set_password(user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    tokens.revoke_all(user, TokenPurpose.RESET)
    db.session.flush()


def change_password(user: User, current: str, new: str, keep_token: str | None, ip: str) -> None:
    """Change the password after checking the current one; other sessions end."""
    key = throttle.account_key(user.email)
    throttle.check(key, ip)
    if not verify_password(user.password_hash, current):
        throttle.record_failure(key, ip)
        raise InvalidInput(_l("Your current password is not correct."), field="current")
    check_password_policy(new, user.email)
    _set_password(user, new)
    end_all_sessions(user, keep=keep_token)
    audit.record(user, "password.changed", user, None, {"other_sessions": "ended"})


def update_profile(
    user: User, display_name: str | None, show_publicly: bool, locale: str | None
) -> bool:
    """Save name, public-name choice and language; returns False when nothing changed."""
    name = (display_name or "").strip() or None
    if show_publicly and name is None:
        raise InvalidInput(_l("Enter a name to show it publicly."), field="display_name")
    before = {
        "display_name": user.display_name,
        "public_name": user.public_name,
        "locale": user.locale,
    }
    after = {"display_name": name, "public_name": name if show_publicly else None, "locale": locale}
    if before == after:
        return False
    user.display_name, user.public_name, user.locale = (
        after["display_name"],
        after["public_name"],
        after["locale"],
    )
    # Names are personal data and the audit log cannot be erased: record what changed, not
    # the values (the language is not personal).
    changed = sorted(k for k in before if before[k] != after[k])
    audit.record(
        user,
        "profile.changed",
        user,
        {"locale": before["locale"]},
        {"locale": after["locale"], "changed": changed},
    )
    db.session.flush()
    return True


def active_admin_count() -> int:
    """How many active administrators there are."""
    return int(
        db.session.scalar(
            select(func.count()).select_from(User).where(User.role == Role.ADMIN, User.active)
        )
        or 0
    )
