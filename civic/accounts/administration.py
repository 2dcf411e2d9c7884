"""Administrators manage accounts: search, role and agency, deactivation.

The last active administrator can be neither demoted nor deactivated; the check runs under a
lock on the administrator rows so that two administrators demoting each other at once cannot
leave the platform without one.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, or_, select, update

from civic import audit
from civic.accounts.models import Role, User
from civic.accounts.sessions import end_all_sessions
from civic.agencies.models import Agency
from civic.errors import Conflict, InvalidInput, NotFound
from civic.extensions import db


def search_users(query: str | None, role: Role | None) -> Select[tuple[User]]:
    """Accounts matching a free-text query (e-mail or name) and role, sorted by e-mail."""
    statement = select(User).order_by(User.email)
    if query and query.strip():
        like = f"%{query.strip().lower()}%"
        statement = statement.where(
            or_(User.email.like(like), User.display_name.ilike(like), User.public_name.ilike(like))
        )
    if role is not None:
        statement = statement.where(User.role == role)
    return statement


def get_user(user_id: int) -> User:
    """The account with this id, or NotFound."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound()
    return user


def _lock_admins() -> None:
    # A no-op UPDATE on every active administrator: on PostgreSQL it row-locks them (a
    # concurrent caller waits and then sees the committed change), on SQLite it takes the
    # database write lock before the count below is read.
    db.session.execute(
        update(User)
        .where(User.role == Role.ADMIN, User.active.is_(True))
        .values(active=True)
        .execution_options(synchronize_session=False)
    )


def _other_active_admins(user: User) -> int:
    _lock_admins()
    return len(
        db.session.scalars(
            select(User.id).where(User.role == Role.ADMIN, User.active, User.id != user.id)
        ).all()
    )


def _protect_last_admin(user: User) -> None:
    if user.role == Role.ADMIN and user.active and _other_active_admins(user) == 0:
        raise Conflict(
            _l("This is the last active administrator. Make someone else administrator first.")
        )


def change_role(actor: User, user: User, role: Role, agency_id: int | None) -> bool:
    """Give `user` a role (and, for officers, exactly one agency); False if nothing changed."""
    if role == Role.OFFICER:
        if agency_id is None:
            raise InvalidInput(
                _l("An agency officer must belong to an agency. Choose the agency."),
                field="agency",
            )
        if db.session.get(Agency, agency_id) is None:
            raise InvalidInput(_l("This agency does not exist."), field="agency")
    else:
        agency_id = None  # only officers belong to an agency
    before = {"role": user.role.value, "agency_id": user.agency_id}
    after = {"role": role.value, "agency_id": agency_id}
    if before == after:
        return False
    if role != Role.ADMIN:
        _protect_last_admin(user)
    user.role, user.agency_id = role, agency_id
    audit.record(actor, "user.role_changed", user, before, after)
    db.session.flush()
    return True


def set_active(actor: User, user: User, active: bool) -> bool:
    """Deactivate (ending every session) or reactivate an account; False if unchanged."""
    if user.active == active:
        return False
    ended = 0
    if not active:
        if user.id == actor.id:
            raise Conflict(_l("You cannot deactivate your own account."))
        _protect_last_admin(user)
        ended = end_all_sessions(user)
    user.active = active
    after: dict[str, object] = {"active": active}
    if not active:
        after["sessions_ended"] = ended
    audit.record(
        actor,
        "user.deactivated" if not active else "user.reactivated",
        user,
        {"active": not active},
        after,
    )
    db.session.flush()
    return True
