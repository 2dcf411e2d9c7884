"""Privacy use cases: a person downloads their data, or erases their account.

Erasure keeps the account row as a pseudonym (its id) and wipes what identifies the person,
so that every count that rests on it stays right: votes, the one-person-one-account link to
the register, panel seats, ideas. See docs/privacy.md for each decision. Services flush and
never commit; the view commits once.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, exists, func, select, update

from civic import audit
from civic.accounts import throttle
from civic.accounts.models import AccountToken, LoginAttempt, LoginSession, Role, User
from civic.accounts.passwords import verify_password
from civic.errors import Conflict, InvalidInput, NotAllowed
from civic.extensions import db
from civic.privacy.export import collect, table

# RFC 2606 reserves .invalid: such an address can never be delivered, and it passes the
# outbox's address check, so a forgotten sender fails at SMTP instead of breaking a write.
ERASED_DOMAIN = "erased.invalid"
# Not an argon2 hash: verify_password() is False for every password, for ever.
UNUSABLE_PASSWORD = "!erased"
ERASED_SUBJECT = "(erased)"
ERASED_ERROR = "not sent: the recipient erased their account"


def placeholder_email(user_id: int) -> str:
    """The unique, undeliverable address an erased account keeps."""
    return f"erased-{user_id}@{ERASED_DOMAIN}"


def is_erased(user: User) -> bool:
    """True for an account whose personal data was erased."""
    return user.email == placeholder_email(user.id)


def export_data(user: User, actor: Any = None) -> dict[str, Any]:
    """Everything Civic holds about `user`; the download is audited (not its content)."""
    if is_erased(user):
        raise Conflict(_l("This account has been erased."))
    data = collect(user)
    audit.record(actor or user, "privacy.exported", user, after={"format": data["format_version"]})
    return data


def erase_own_account(user: User, password: str, ip: str) -> dict[str, int]:
    """Erase the caller's account after checking the password (throttled like a log-in).

    Raises Throttled or InvalidInput; the caller commits in both cases, so wrong
    passwords count."""
    key = throttle.account_key(user.email)
    throttle.check(key, ip)
    if not verify_password(user.password_hash, password):
        throttle.record_failure(key, ip)
        raise InvalidInput(_l("Your password is not correct."), field="password")
    return erase_account(user, user)


def _refuse(user: User, actor: Any) -> None:
    if getattr(actor, "id", None) != user.id and getattr(actor, "role", None) != Role.ADMIN:
        raise NotAllowed()
    if is_erased(user):
        raise Conflict(_l("This account has already been erased."))
    if user.role == Role.ADMIN:
        raise Conflict(
            _l(
                "An administrator account cannot be erased. Ask another administrator to "
                "change your role first."
            )
        )


def _count(result: Any) -> int:
    return int(result.rowcount or 0)


def _forget_security_records(user: User) -> dict[str, int]:
    """Sessions, one-time links and failed log-ins or wrong letter codes of this account."""
    attempts = table("letter_code_attempt")
    return {
        "sessions": _count(
            db.session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
        ),
        "tokens": _count(
            db.session.execute(delete(AccountToken).where(AccountToken.user_id == user.id))
        ),
        "login_attempts": _count(
            db.session.execute(
                delete(LoginAttempt).where(
                    LoginAttempt.account_key == throttle.account_key(user.email)
                )
            )
        )
        + _count(db.session.execute(delete(attempts).where(attempts.c.key == f"user:{user.id}"))),
    }


def _forget_subscriptions(user: User) -> dict[str, int]:
    """Follows, notifications (sent or waiting) and the digest preference."""
    counts = {}
    for name, key in (
        ("idea_follow", "follows"),
        ("notification", "notifications"),
        ("notification_preference", "notification_preference"),
    ):
        t = table(name)
        counts[key] = _count(db.session.execute(delete(t).where(t.c.user_id == user.id)))
    return counts


def _withdraw_from_open_pilots(user: User) -> int:
    """Leave tester pools that are still open (the rule of proposals.pilots._pool_open):
    an erased account cannot test. Drawn testers stay: the published draw must still add up."""
    volunteers, pilots, draws = table("pilot_volunteer"), table("pilot"), table("draw")
    pool_open = (
        select(pilots.c.id)
        .outerjoin(draws, draws.c.id == pilots.c.draw_id)
        .where(
            pilots.c.status == "recruiting",
            pilots.c.draw_id.is_(None) | (draws.c.status == "prepared"),
        )
    )
    return _count(
        db.session.execute(
            delete(volunteers).where(
                volunteers.c.user_id == user.id, volunteers.c.pilot_id.in_(pool_open)
            )
        )
    )


def _blank_mail(user: User) -> dict[str, int]:
    """Mail to the person: waiting mail is cancelled, and no mail keeps address or content."""
    outbox = table("outbox_message")
    to_them = func.lower(outbox.c.to_address) == user.email
    cancelled = db.session.execute(
        update(outbox)
        .where(to_them, outbox.c.status == "queued")
        .values(status="failed", last_error=ERASED_ERROR)
    )
    blanked = db.session.execute(
        update(outbox)
        .where(to_them)
        .values(
            to_address=placeholder_email(user.id),
            subject=ERASED_SUBJECT,
            body_text="",
            body_html=None,
        )
    )
    return {"mail_cancelled": _count(cancelled), "mail_blanked": _count(blanked)}


def _kept(user: User) -> dict[str, int]:
    """What stays, under the pseudonymous account id (for the audit row)."""
    votes, ballots, ideas = table("vote"), table("ballot"), table("idea")
    linked = exists().where(table("resident_link").c.user_id == user.id)
    return {
        "votes_kept": int(
            db.session.scalar(select(func.count()).where(votes.c.voter_id == user.id)) or 0
        ),
        "open_ballot_votes_kept": int(
            db.session.scalar(
                select(func.count())
                .select_from(votes.join(ballots, ballots.c.id == votes.c.ballot_id))
                .where(votes.c.voter_id == user.id, ballots.c.status == "open")
            )
            or 0
        ),
        "ideas_kept": int(
            db.session.scalar(select(func.count()).where(ideas.c.author_id == user.id)) or 0
        ),
        "resident_link_kept": int(bool(db.session.scalar(select(linked)))),
    }


def erase_account(user: User, actor: Any) -> dict[str, int]:
    """Erase `user` (by themselves, or by an administrator on their request).

    Wipes e-mail, names, language and password; deactivates the account; deletes sessions,
    links, follows, notifications and the person's mail content. Votes, ideas, reports,
    ratings, pilot and panel records and the register link stay under the account id, so
    counts, composition and the one-vote-per-person rule stay right. Returns the counts,
    which are also the audit row's `after`."""
    _refuse(user, actor)
    before = {"active": user.active, "role": user.role.value, "verified": user.is_verified}
    counts = {
        **_forget_security_records(user),
        **_forget_subscriptions(user),
        "pilot_pools_left": _withdraw_from_open_pilots(user),
        **_blank_mail(user),
        **_kept(user),
    }
    user.email = placeholder_email(user.id)
    user.display_name = user.public_name = user.locale = None
    user.password_hash = UNUSABLE_PASSWORD
    user.active = False
    user.role, user.agency_id = Role.RESIDENT, None
    db.session.flush()
    audit.record(actor, "account.erased", user, before, {"active": False, "erased": True, **counts})
    return counts
