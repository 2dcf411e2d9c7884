"""Everything Civic holds about one person, as plain JSON-ready data (GDPR art. 15 and 20).

civic/ may not import the feature packages (DESIGN.md, section 2), so the feature tables are
read by name from the shared metadata, as civic.retention does. A table renamed in a feature
package fails the privacy tests, which export every section.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Table, func, or_, select

from civic import clock
from civic.accounts.models import LoginSession, User
from civic.audit.models import AuditEntry
from civic.extensions import db

FORMAT_VERSION = 1
# Never exported: secrets and look-up keys that mean nothing to the person.
SECRET_COLUMNS = frozenset({"password_hash", "token_hash", "nonce_hash", "code_hash", "nonce"})
ACCOUNT_FIELDS = (
    "id",
    "email",
    "display_name",
    "public_name",
    "role",
    "agency_id",
    "locale",
    "created_at",
    "email_confirmed_at",
    "verified_at",
    "active",
)
OUTBOX_FIELDS = ("id", "kind", "subject", "status", "created_at", "sent_at")
REGISTER_FIELDS = ("id", "birth_year", "gender", "area", "extra", "status")


def plain(value: Any) -> Any:
    """A stored value as JSON: times as ISO 8601 (UTC), enums as their value."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    return value


def table(name: str) -> Table:
    """A table of any package, by name (KeyError when a feature renamed it)."""
    return db.metadata.tables[name]


def rows(name: str, where: ColumnElement[bool], fields: Iterable[str] | None = None) -> list[Any]:
    """The rows of table `name` matching `where`, as dicts without secret columns."""
    t = table(name)
    wanted = [c for c in t.c if c.name not in SECRET_COLUMNS]
    if fields is not None:
        wanted = [t.c[f] for f in fields]
    result = db.session.execute(select(*wanted).where(where).order_by(wanted[0])).mappings()
    return [{k: plain(v) for k, v in row.items()} for row in result]


def _ids(items: list[dict[str, Any]]) -> list[int]:
    return [int(item["id"]) for item in items]


def _account(user: User) -> dict[str, Any]:
    return {field: plain(getattr(user, field)) for field in ACCOUNT_FIELDS}


def _sessions(user: User) -> list[dict[str, Any]]:
    return rows(
        "login_session",
        LoginSession.__table__.c.user_id == user.id,
        ("created_at", "last_seen_at", "expires_at"),
    )


def _participation(user: User) -> dict[str, Any]:
    uid = user.id
    votes = table("vote")
    ballots = table("ballot")
    vote_rows = db.session.execute(
        select(
            votes.c.ballot_id,
            ballots.c.subject_type,
            ballots.c.subject_id,
            ballots.c.status.label("ballot_status"),
            votes.c.choice,
            votes.c.cast_at,
        )
        .join(ballots, ballots.c.id == votes.c.ballot_id)
        .where(votes.c.voter_id == uid)
        .order_by(votes.c.id)
    ).mappings()
    return {
        "ideas": rows("idea", table("idea").c.author_id == uid),
        "votes": [{k: plain(v) for k, v in row.items()} for row in vote_rows],
        "follows": rows("idea_follow", table("idea_follow").c.user_id == uid),
        "reports": rows("idea_report", table("idea_report").c.reporter_id == uid),
        "ratings": rows("proposal_rating", table("proposal_rating").c.user_id == uid),
    }


def _pilots(user: User) -> dict[str, Any]:
    uid = user.id
    testers = rows("pilot_tester", table("pilot_tester").c.user_id == uid)
    tester_ids = _ids(testers)
    return {
        "volunteered": rows("pilot_volunteer", table("pilot_volunteer").c.user_id == uid),
        "drawn_as_tester": testers,
        "feedback": rows("pilot_feedback", table("pilot_feedback").c.tester_id.in_(tester_ids)),
        "evaluation": rows(
            "pilot_evaluation", table("pilot_evaluation").c.tester_id.in_(tester_ids)
        ),
    }


def _panel_work(membership_ids: list[int]) -> dict[str, Any]:
    def of(name: str) -> list[Any]:
        return rows(name, table(name).c.membership_id.in_(membership_ids))

    recommendations = table("panel_recommendation")
    return {
        "attendance": of("panel_attendance"),
        "payments": of("panel_payment"),
        "journey_ratings": of("panel_step_rating"),
        "recommendation_comments": of("panel_recommendation_comment"),
        "recommendations_drafted": rows(
            "panel_recommendation", recommendations.c.author_membership_id.in_(membership_ids)
        ),
    }


def _register(user: User) -> dict[str, Any] | None:
    """The register person the account is verified as, and their panel service."""
    links = rows("resident_link", table("resident_link").c.user_id == user.id)
    if not links:
        return None
    person_id = int(links[0]["person_id"])
    invitations = rows("invitation", table("invitation").c.person_id == person_id)
    memberships = rows("panel_membership", table("panel_membership").c.person_id == person_id)
    return {
        "link": links[0],
        "register_person": rows(
            "register_person", table("register_person").c.id == person_id, REGISTER_FIELDS
        ),
        "invitations": invitations,
        "replies": rows(
            "invitation_reply", table("invitation_reply").c.invitation_id.in_(_ids(invitations))
        ),
        "deferrals": rows(
            "invitation_deferral", table("invitation_deferral").c.person_id == person_id
        ),
        "memberships": memberships,
        **_panel_work(_ids(memberships)),
    }


def _messages(user: User) -> dict[str, Any]:
    outbox = table("outbox_message")
    return {
        "notification_preference": rows(
            "notification_preference", table("notification_preference").c.user_id == user.id
        ),
        "notifications": rows("notification", table("notification").c.user_id == user.id),
        # Bodies are left out: they can hold one-time links that must not sit in a file.
        "emails": rows(
            "outbox_message", func.lower(outbox.c.to_address) == user.email, OUTBOX_FIELDS
        ),
    }


def _audit(user: User) -> list[dict[str, Any]]:
    """What the person did, and what was done to their account, without before/after."""
    about = or_(
        AuditEntry.actor_id == user.id,
        (AuditEntry.object_type == "User") & (AuditEntry.object_id == str(user.id)),
    )
    return rows(
        "audit_entry", about, ("seq", "at", "actor_label", "action", "object_type", "object_id")
    )


def collect(user: User) -> dict[str, Any]:
    """The whole export of one account."""
    return {
        "format": "civic-personal-data",
        "format_version": FORMAT_VERSION,
        "exported_at": clock.now().isoformat(),
        "account": _account(user),
        "login_sessions": _sessions(user),
        **_participation(user),
        "pilots": _pilots(user),
        "resident": _register(user),
        **_messages(user),
        "audit_log": _audit(user),
    }
