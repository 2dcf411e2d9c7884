"""Idea use cases for residents: submit, edit, withdraw, follow, report, vote. Flush only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from civic import audit, clock
from civic.accounts.models import Role, User
from civic.agencies.models import Agency
from civic.errors import Conflict, InvalidInput, NotAllowed, NotFound
from civic.extensions import db
from proposals import rules
from proposals.models import Follow, Idea, IdeaEvent, IdeaReport
from proposals.rules import Action, EventKind, IdeaStatus
from voting import services as voting
from voting.services import CastResult


class IdeaInvalid(InvalidInput):
    """Idea input breaking a rule; `field` names the form field."""

    def __init__(self, field: str, message: Any) -> None:
        super().__init__(message, field=field)


class NotVerified(NotAllowed):
    code = "not_verified"
    default_message = _l(
        "Only verified residents can vote. Verify your account with the code from the "
        "letter of the municipality (see 'Verify your account')."
    )


class AlreadyReported(Conflict):
    code = "already_reported"
    default_message = _l("You have already reported this idea. A moderator will look at it.")


class WrongState(Conflict):
    code = "idea_wrong_state"
    default_message = _l("This is not possible for this idea any more. Please reload the page.")


@dataclass(frozen=True)
class IdeaData:
    """What an author enters."""

    title: str
    problem: str
    proposed_change: str
    service_area: str
    agency_id: int | None


# --- reading ---


def service_areas() -> list[str]:
    """Every agency's service areas, de-duplicated ignoring case, sorted."""
    names: dict[str, str] = {}
    for agency in db.session.scalars(select(Agency).order_by(Agency.name)):
        for area in agency.service_area_list:
            names.setdefault(area.casefold(), area)
    return sorted(names.values(), key=str.casefold)


def agencies() -> list[Agency]:
    """All agencies by name."""
    return list(db.session.scalars(select(Agency).order_by(Agency.name)))


def can_see(idea: Idea, viewer: User | None) -> bool:
    """Hidden and withdrawn ideas are seen only by their author and moderators."""
    if idea.status in rules.PUBLIC_STATUSES and not idea.hidden:
        return True
    return viewer is not None and (viewer.id == idea.author_id or viewer.has_role(Role.MODERATOR))


def get_idea(idea_id: int, viewer: User | None = None) -> Idea:
    """The idea if `viewer` may see it, else NotFound."""
    idea = db.session.get(Idea, idea_id)
    if idea is None or not can_see(idea, viewer):
        raise NotFound()
    return idea


def list_ideas(
    status: IdeaStatus | None, area: str | None, page: int, per_page: int = 20
) -> Pagination:
    """Public ideas, newest first, optionally of one status and one service area."""
    query = select(Idea).where(
        Idea.hidden_at.is_(None), Idea.status.in_(sorted(rules.PUBLIC_STATUSES))
    )
    if status is not None:
        query = query.where(Idea.status == status)
    if area:
        query = query.where(func.lower(Idea.service_area) == area.casefold())
    query = query.order_by(Idea.submitted_at.desc(), Idea.id.desc())
    return db.paginate(query, page=page, per_page=per_page, error_out=False, count=True)


def timeline(idea: Idea) -> list[IdeaEvent]:
    """The idea's public journey, oldest first."""
    return list(
        db.session.scalars(
            select(IdeaEvent).where(IdeaEvent.idea_id == idea.id).order_by(IdeaEvent.id)
        )
    )


def is_following(idea: Idea, user: User | None) -> bool:
    """Whether `user` follows the idea."""
    if user is None:
        return False
    found = db.session.scalar(
        select(Follow.id).where(Follow.idea_id == idea.id, Follow.user_id == user.id)
    )
    return found is not None


def has_reported(idea: Idea, user: User | None) -> bool:
    """Whether `user` has reported the idea."""
    if user is None:
        return False
    found = db.session.scalar(
        select(IdeaReport.id).where(
            IdeaReport.idea_id == idea.id, IdeaReport.reporter_id == user.id
        )
    )
    return found is not None


# --- shared by the services of this package ---


def add_event(idea: Idea, kind: EventKind, now: datetime, **data: Any) -> IdeaEvent:
    """Append an entry to the idea's public timeline."""
    event = IdeaEvent(idea_id=idea.id, kind=kind, at=now, data=data)
    db.session.add(event)
    return event


def claim(idea: Idea, action: Action, **values: Any) -> IdeaStatus:
    """Move the idea on by `action` with a conditional update (a concurrent change wins
    and this one is refused); returns the status it had before."""
    before = idea.status
    after = rules.next_status(before, action)
    if after is None:
        raise WrongState()
    changed = db.session.scalar(
        update(Idea)
        .where(Idea.id == idea.id, Idea.status == before)
        .values(status=after, **values)
        .returning(Idea.id)
        .execution_options(synchronize_session=False)
    )
    if changed is None:
        raise WrongState()
    db.session.refresh(idea)
    return before


def _config_int(name: str, default: int) -> int:
    return int(current_app.config.get(name, default))


# --- submitting and editing ---


def _text(value: str | None) -> str:
    return (value or "").strip()


def _agency(data: IdeaData, area: str) -> Agency:
    if data.agency_id is not None:
        agency = db.session.get(Agency, data.agency_id)
        if agency is None:
            raise IdeaInvalid("agency_id", _l("Choose an agency from the list."))
        return agency
    # No suggestion: the first agency (by name) that serves the area.
    for agency in agencies():
        if area.casefold() in (a.casefold() for a in agency.service_area_list):
            return agency
    raise IdeaInvalid("service_area", _l("Choose a service area from the list."))


def check(data: IdeaData) -> tuple[IdeaData, Agency]:
    """Normalise and check an author's input; the agency it goes to."""
    title = " ".join(data.title.split())
    if not title:
        raise IdeaInvalid("title", _l("Enter a title."))
    if len(title) > rules.TITLE_MAX:
        raise IdeaInvalid("title", _l("The title can be at most 120 characters long."))
    problem, change = _text(data.problem), _text(data.proposed_change)
    if not problem:
        raise IdeaInvalid("problem", _l("Describe the problem."))
    if not change:
        raise IdeaInvalid("proposed_change", _l("Describe the change you propose."))
    if max(len(problem), len(change)) > rules.TEXT_MAX:
        field = "problem" if len(problem) > rules.TEXT_MAX else "proposed_change"
        raise IdeaInvalid(field, _l("This text can be at most 5,000 characters long."))
    areas = {a.casefold(): a for a in service_areas()}
    area = areas.get(" ".join(data.service_area.split()).casefold())
    if area is None:
        raise IdeaInvalid("service_area", _l("Choose a service area from the list."))
    clean = IdeaData(title, problem, change, area, data.agency_id)
    return clean, _agency(clean, area)


def submit_idea(author: User, data: IdeaData, now: datetime | None = None) -> Idea:
    """A new idea in the screening queue, due for screening after IDEA_SCREENING_DAYS."""
    now = now or clock.now()
    data, agency = check(data)
    days = _config_int("IDEA_SCREENING_DAYS", rules.DEFAULT_SCREENING_DAYS)
    idea = Idea(
        title=data.title,
        problem=data.problem,
        proposed_change=data.proposed_change,
        service_area=data.service_area,
        agency_id=agency.id,
        author_id=author.id,
        status=IdeaStatus.SUBMITTED,
        submitted_at=now,
        updated_at=now,
        screening_due_at=rules.screening_due(now, days),
    )
    db.session.add(idea)
    db.session.flush()
    add_event(idea, EventKind.SUBMITTED, now)
    audit.record(author, "idea.submitted", idea, after=idea.as_audit())
    return idea


def _require_author(idea: Idea, actor: User) -> None:
    if idea.author_id != actor.id:
        raise NotAllowed()


def edit_idea(actor: User, idea: Idea, data: IdeaData, now: datetime | None = None) -> bool:
    """Change an idea while it waits for screening (author only); False when unchanged."""
    now = now or clock.now()
    _require_author(idea, actor)
    if rules.next_status(idea.status, Action.EDIT) is None:
        raise WrongState(_l("This idea has been screened, so it can no longer be changed."))
    data, agency = check(data)
    before = {**idea.as_audit(), "problem": idea.problem, "proposed_change": idea.proposed_change}
    values = {
        "title": data.title,
        "problem": data.problem,
        "proposed_change": data.proposed_change,
        "service_area": data.service_area,
        "agency_id": agency.id,
    }
    if all(getattr(idea, k) == v for k, v in values.items()):
        return False
    claim(idea, Action.EDIT, updated_at=now, **values)
    after = {**idea.as_audit(), "problem": idea.problem, "proposed_change": idea.proposed_change}
    add_event(idea, EventKind.EDITED, now)
    audit.record(actor, "idea.edited", idea, before, after)
    return True


def withdraw_idea(actor: User, idea: Idea, now: datetime | None = None) -> None:
    """The author takes back an idea that has not been screened yet."""
    now = now or clock.now()
    _require_author(idea, actor)
    if rules.next_status(idea.status, Action.WITHDRAW) is None:
        raise WrongState(_l("Only an idea that has not been screened yet can be withdrawn."))
    before = claim(idea, Action.WITHDRAW, updated_at=now)
    add_event(idea, EventKind.WITHDRAWN, now)
    audit.record(actor, "idea.withdrawn", idea, {"status": before.value}, idea.as_audit())


# --- following ---


def _insert_ignore(model: Any, values: dict[str, Any], keys: list[str]) -> int | None:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id: the new row's id, or None."""
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(model)
        .values(**values)
        .on_conflict_do_nothing(index_elements=keys)
        .returning(model.id)
    )
    return db.session.scalar(statement)


def follow(user: User, idea: Idea, now: datetime | None = None) -> bool:
    """Follow an idea; False when already following."""
    now = now or clock.now()
    values = {"idea_id": idea.id, "user_id": user.id, "created_at": now}
    follow_id = _insert_ignore(Follow, values, ["idea_id", "user_id"])
    if follow_id is None:
        return False
    audit.record(
        user,
        "idea.followed",
        None,
        object_type="Follow",
        object_id=str(follow_id),
        after={"idea_id": idea.id},
    )
    return True


def unfollow(user: User, idea: Idea) -> bool:
    """Stop following; False when not following."""
    row = db.session.scalar(
        select(Follow).where(Follow.idea_id == idea.id, Follow.user_id == user.id)
    )
    if row is None:
        return False
    db.session.delete(row)
    db.session.flush()
    audit.record(user, "idea.unfollowed", row, before={"idea_id": idea.id})
    return True


# --- reporting ---


def report_idea(
    reporter: User, idea: Idea, reason: str | None, now: datetime | None = None
) -> bool:
    """Record a report of abusive content; the third distinct reporter hides the idea until
    a moderator decides. True when this report hid it."""
    now = now or clock.now()
    if idea.author_id == reporter.id:
        raise InvalidInput(_l("You cannot report your own idea."))
    # Lock the idea first, so concurrent reports are counted one after the other.
    db.session.execute(
        update(Idea)
        .where(Idea.id == idea.id)
        .values(id=Idea.id)
        .execution_options(synchronize_session=False)
    )
    values = {
        "idea_id": idea.id,
        "reporter_id": reporter.id,
        "reason": _text(reason)[:2000] or None,
        "created_at": now,
    }
    report_id = _insert_ignore(IdeaReport, values, ["idea_id", "reporter_id"])
    if report_id is None:
        raise AlreadyReported()
    audit.record(
        reporter,
        "idea.reported",
        None,
        object_type="IdeaReport",
        object_id=str(report_id),
        after={"idea_id": idea.id},
    )
    open_reports = (
        db.session.scalar(
            select(func.count())
            .select_from(IdeaReport)
            .where(IdeaReport.idea_id == idea.id, IdeaReport.resolved_at.is_(None))
        )
        or 0
    )
    db.session.refresh(idea)
    if not rules.hides(open_reports, idea.hidden):
        return False
    idea.hidden_at = now
    db.session.flush()
    add_event(idea, EventKind.HIDDEN, now)
    audit.record(
        "reports",
        "idea.hidden",
        idea,
        {"hidden": False},
        {"hidden": True, "open_reports": open_reports},
    )
    return True


# --- voting ---


def _votable(idea: Idea, voter: User) -> int:
    if idea.status != IdeaStatus.VOTING or idea.ballot_id is None or idea.hidden:
        raise WrongState(_l("Voting on this idea is not open."))
    if not voter.is_verified:
        raise NotVerified()
    return idea.ballot_id


def vote_for(idea: Idea, voter: User, now: datetime | None = None) -> CastResult:
    """A verified resident supports the idea (once; a repeat is answered idempotently)."""
    return voting.cast_vote(_votable(idea, voter), voter, now=now)


def withdraw_vote(idea: Idea, voter: User, now: datetime | None = None) -> bool:
    """Take back one's vote until the close; False when there was none."""
    if idea.ballot_id is None:
        raise WrongState(_l("Voting on this idea is not open."))
    return voting.withdraw_vote(idea.ballot_id, voter, now=now)


def my_vote(idea: Idea, user: User | None) -> bool:
    """Whether `user` currently supports the idea."""
    if user is None or idea.ballot_id is None:
        return False
    return voting.vote_of(idea.ballot_id, user.id) is not None
