"""Server-side authorization: role checks per route, object checks per item, denials audited."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, NoReturn, TypeVar

from flask import request
from flask_login import current_user

from civic import audit
from civic.accounts.models import Role, User
from civic.errors import NotAllowed, NotFound
from civic.extensions import db, login_manager

F = TypeVar("F", bound=Callable[..., Any])


def record_denial(actor: User | None, target: str) -> None:
    """Audit-log a refused attempt in its own commit (the caller's changes are rolled back).

    Use it directly where a refusal must keep its own helpful message (e.g. "verify your
    account first"); otherwise call `deny`, which also answers 403/404."""
    db.session.rollback()
    audit.record(
        actor if actor is not None and actor.is_authenticated else "anonymous",
        "access.denied",
        None,
        after={"method": request.method, "path": request.path, "target": target},
        object_type="route",
        object_id=request.endpoint or request.path,
    )
    db.session.commit()


def deny(actor: User | None, target: str, *, hide: bool = False) -> NoReturn:
    """Audit-log a refused attempt in its own commit, then answer 403 (or 404 when `hide`)."""
    record_denial(actor, target)
    raise (NotFound() if hide else NotAllowed())


def acting_user() -> User | None:
    """The logged-in user, or None for anonymous visitors."""
    if current_user and current_user.is_authenticated:
        return current_user._get_current_object()  # type: ignore[no-any-return]
    return None


def require_role(*roles: Role) -> Callable[[F], F]:
    """Route decorator: log in first, then the role must be one of `roles` (admins pass)."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = acting_user()
            if user is None:
                return login_manager.unauthorized()
            if not user.has_role(*roles):
                deny(user, f"role:{','.join(r.value for r in roles)}")
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def require_login(view: F) -> F:
    """Route decorator: any logged-in user."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if acting_user() is None:
            return login_manager.unauthorized()
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def require_agency_member(user: User, agency_id: int | None, target: str) -> None:
    """Per-object check: officers act only on their own agency's items (admins on all)."""
    if user.role == Role.ADMIN:
        return
    if user.role != Role.OFFICER or user.agency_id is None or user.agency_id != agency_id:
        deny(user, target, hide=True)
