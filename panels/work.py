"""The panel's work: meetings and attendance, the journey map, recommendations, the members'
vote (voting module, electorate "panel:<id>") and the one proposal to the agency's inbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from civic import audit, clock
from civic.accounts.models import User
from civic.errors import Conflict, InvalidInput, NotAllowed, NotFound
from civic.extensions import db
from panels import draws, membership, rules
from panels.models import (
    Attendance,
    JourneyStep,
    Meeting,
    MembershipStatus,
    Panel,
    PanelMembership,
    PanelSubmission,
    Recommendation,
    RecommendationComment,
    RecommendationStatus,
    ResidentLink,
    StepRating,
)
from voting import services as voting
from voting.models import Ballot
from voting.rules import Choice, Outcome

BALLOT_SUBJECT = "panel_recommendation"
VOTE_DAYS = 7
TEXT_MAX = 5000


# --- who is a member ---


def member_of(user: Any, panel_id: int) -> PanelMembership | None:
    """The user's serving seat on the panel (through their verified register link)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(
        select(PanelMembership)
        .join(ResidentLink, ResidentLink.person_id == PanelMembership.person_id)
        .where(
            ResidentLink.user_id == user.id,
            PanelMembership.panel_id == panel_id,
            PanelMembership.status == MembershipStatus.SERVING,
        )
    )


def require_member(user: Any, panel: Panel) -> PanelMembership:
    """The user's seat, or NotAllowed."""
    seat = member_of(user, panel.id)
    if seat is None:
        raise NotAllowed(_l("Only members of this panel can do this."))
    return seat


def _panel_electorate(voter: Any, ballot: Ballot) -> bool:
    """Electorate "panel:<id>": the panel's serving members."""
    panel_id = int(ballot.electorate.split(":", 1)[1])
    return member_of(voter, panel_id) is not None


voting.register_electorate("panel", _panel_electorate)


def _text(value: str, field: str, message: Any, limit: int = TEXT_MAX) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput(message, field=field)
    if len(text) > limit:
        raise InvalidInput(_l("Use at most %(n)s characters.", n=limit), field=field)
    return text


# --- meetings ---


@dataclass(frozen=True)
class MeetingData:
    """A meeting as entered."""

    starts_at: datetime
    place: str
    online_url: str
    agenda: str


def create_meeting(actor: User, panel: Panel, data: MeetingData) -> Meeting:
    """Plan a meeting: a place or an online link (https), and an agenda."""
    place, url = data.place.strip(), data.online_url.strip()
    if not place and not url:
        raise InvalidInput(_l("Give a place or an online link."), field="place")
    if url and (urlsplit(url).scheme != "https" or not urlsplit(url).netloc):
        raise InvalidInput(_l("The online link must start with https://."), field="online_url")
    agenda = _text(data.agenda, "agenda", _l("Write the agenda."))
    meeting = Meeting(
        panel_id=panel.id,
        starts_at=data.starts_at,
        place=place or None,
        online_url=url or None,
        agenda=agenda,
        created_at=clock.now(),
    )
    db.session.add(meeting)
    db.session.flush()
    audit.record(
        actor, "panel.meeting_planned", meeting, after={"starts_at": data.starts_at.isoformat()}
    )
    return meeting


def get_meeting(meeting_id: int) -> Meeting:
    """The meeting, or NotFound."""
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound()
    return meeting


def meetings_of(panel: Panel, *, held_only: bool = False) -> list[Meeting]:
    """The panel's meetings by date."""
    query = select(Meeting).where(Meeting.panel_id == panel.id)
    if held_only:
        query = query.where(Meeting.held_at.is_not(None))
    return list(db.session.scalars(query.order_by(Meeting.starts_at, Meeting.id)))


def record_attendance(actor: User, meeting: Meeting, present: set[int]) -> int:
    """Record once who of the serving members attended; each attendee gets a stipend entry.
    Returns the number present."""
    panel = db.session.get(Panel, meeting.panel_id)
    assert panel is not None
    members = draws.serving_members(panel)
    unknown = present - {m.id for m in members}
    if unknown:
        raise InvalidInput(_l("Only serving members can attend."))
    now = clock.now()
    claimed = db.session.execute(
        update(Meeting)
        .where(Meeting.id == meeting.id, Meeting.held_at.is_(None))
        .values(held_at=now)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(_l("The attendance of this meeting was already recorded."))
    db.session.refresh(meeting)
    for member in members:
        db.session.add(
            Attendance(meeting_id=meeting.id, membership_id=member.id, present=member.id in present)
        )
    db.session.flush()
    audit.record(
        actor,
        "panel.attendance",
        meeting,
        after={"present": len(present), "absent": len(members) - len(present)},
    )
    for member in members:
        if member.id in present:
            membership.add_stipend(actor, member, meeting)
    return len(present)


def attendance_counts(panel: Panel) -> dict[int, int]:
    """Meeting id -> members present."""
    rows = db.session.execute(
        select(Attendance.meeting_id, func.count())
        .join(Meeting, Meeting.id == Attendance.meeting_id)
        .where(Meeting.panel_id == panel.id, Attendance.present.is_(True))
        .group_by(Attendance.meeting_id)
    ).all()
    return {int(m): int(n) for m, n in rows}


# --- the journey map ---


def steps_of(panel: Panel) -> list[JourneyStep]:
    """The journey's steps in order."""
    return list(
        db.session.scalars(
            select(JourneyStep)
            .where(JourneyStep.panel_id == panel.id)
            .order_by(JourneyStep.position)
        )
    )


def add_step(actor: User, panel: Panel, title: str, description: str) -> JourneyStep:
    """Add a step at the end of the journey."""
    title = _text(title, "title", _l("Name the step."), 200)
    last = db.session.scalar(
        select(func.max(JourneyStep.position)).where(JourneyStep.panel_id == panel.id)
    )
    step = JourneyStep(
        panel_id=panel.id,
        position=int(last or 0) + 1,
        title=title,
        description=(description or "").strip()[:TEXT_MAX],
    )
    db.session.add(step)
    db.session.flush()
    audit.record(actor, "panel.step_added", step, after={"title": title})
    return step


def _step_of(panel: Panel, step_id: int | None) -> JourneyStep | None:
    if step_id is None:
        return None
    step = db.session.get(JourneyStep, step_id)
    if step is None or step.panel_id != panel.id:
        raise InvalidInput(_l("Choose a step of this journey."), field="step_id")
    return step


def rate_step(user: User, panel: Panel, step_id: int, score: int, pain_points: str) -> StepRating:
    """A member rates a step 1-5 and notes pain points (a later rating replaces theirs)."""
    seat = require_member(user, panel)
    step = _step_of(panel, step_id)
    assert step is not None
    if score not in range(1, 6):
        raise InvalidInput(_l("Choose a rating from 1 to 5."), field="score")
    rating = db.session.scalar(
        select(StepRating).where(StepRating.step_id == step.id, StepRating.membership_id == seat.id)
    )
    before = {"score": rating.score} if rating else None
    if rating is None:
        rating = StepRating(step_id=step.id, membership_id=seat.id)
        db.session.add(rating)
    rating.score = score
    rating.pain_points = (pain_points or "").strip()[:TEXT_MAX]
    rating.updated_at = clock.now()
    db.session.flush()
    audit.record(user, "panel.step_rated", rating, before, {"score": score, "step_id": step.id})
    return rating


@dataclass(frozen=True)
class StepSummary:
    """One step of the aggregated map."""

    step: JourneyStep
    average: float | None
    ratings: int
    band: str
    pain_points: list[str]


def journey_map(panel: Panel) -> list[StepSummary]:
    """Every step with its average rating, number of ratings, band and pain points."""
    steps = steps_of(panel)
    rows = db.session.execute(
        select(StepRating.step_id, StepRating.score, StepRating.pain_points)
        .join(JourneyStep, JourneyStep.id == StepRating.step_id)
        .where(JourneyStep.panel_id == panel.id)
        .order_by(StepRating.id)
    ).all()
    scores: dict[int, list[int]] = {}
    pains: dict[int, list[str]] = {}
    for step_id, score, pain in rows:
        scores.setdefault(step_id, []).append(int(score))
        if pain:
            pains.setdefault(step_id, []).append(pain)
    result = []
    for step in steps:
        got = scores.get(step.id, [])
        average = round(sum(got) / len(got), 2) if got else None
        summary = StepSummary(
            step, average, len(got), rules.rating_band(average), pains.get(step.id, [])
        )
        result.append(summary)
    return result


def my_ratings(user: Any, panel: Panel) -> dict[int, StepRating]:
    """The member's own ratings by step id."""
    seat = member_of(user, panel.id)
    if seat is None:
        return {}
    rows = db.session.scalars(select(StepRating).where(StepRating.membership_id == seat.id))
    return {r.step_id: r for r in rows}


# --- recommendations ---


def recommendations_of(panel: Panel) -> list[Recommendation]:
    """The panel's recommendations, oldest first."""
    return list(
        db.session.scalars(
            select(Recommendation)
            .where(Recommendation.panel_id == panel.id)
            .order_by(Recommendation.id)
        )
    )


def get_recommendation(rec_id: int) -> Recommendation:
    """The recommendation, or NotFound."""
    rec = db.session.get(Recommendation, rec_id)
    if rec is None:
        raise NotFound()
    return rec


def draft(user: User, panel: Panel, title: str, body: str, step_id: int | None) -> Recommendation:
    """A member drafts a recommendation, linked to a step or to the whole journey."""
    seat = require_member(user, panel)
    step = _step_of(panel, step_id)
    rec = Recommendation(
        panel_id=panel.id,
        step_id=step.id if step else None,
        title=_text(title, "title", _l("Give the recommendation a title."), 200),
        body=_text(body, "body", _l("Write the recommendation.")),
        author_membership_id=seat.id,
        status=RecommendationStatus.DRAFT,
        created_at=clock.now(),
    )
    db.session.add(rec)
    db.session.flush()
    audit.record(user, "panel.recommendation_drafted", rec, after={"title": rec.title})
    return rec


def comment(user: User, rec: Recommendation, body: str) -> RecommendationComment:
    """A member adds to the discussion of a recommendation."""
    panel = db.session.get(Panel, rec.panel_id)
    assert panel is not None
    seat = require_member(user, panel)
    note = RecommendationComment(
        recommendation_id=rec.id,
        membership_id=seat.id,
        body=_text(body, "body", _l("Write your comment.")),
        created_at=clock.now(),
    )
    db.session.add(note)
    db.session.flush()
    audit.record(user, "panel.recommendation_comment", note, after={"recommendation_id": rec.id})
    return note


def comments_of(rec_ids: list[int]) -> dict[int, list[RecommendationComment]]:
    """Comments per recommendation, oldest first."""
    result: dict[int, list[RecommendationComment]] = {}
    if not rec_ids:
        return result
    rows = db.session.scalars(
        select(RecommendationComment)
        .where(RecommendationComment.recommendation_id.in_(rec_ids))
        .order_by(RecommendationComment.id)
    )
    for row in rows:
        result.setdefault(row.recommendation_id, []).append(row)
    return result


def open_vote(actor: User, rec: Recommendation, closes_at: datetime | None = None) -> Ballot:
    """Open the members' majority vote on a draft (closed at the meeting's end, or after
    VOTE_DAYS by the voting sweep)."""
    if rec.status != RecommendationStatus.DRAFT:
        raise Conflict(_l("Only a draft can be put to the vote."))
    now = clock.now()
    ballot = voting.open_ballot(
        BALLOT_SUBJECT,
        rec.id,
        opens_at=now,
        closes_at=closes_at or now + timedelta(days=VOTE_DAYS),
        threshold=None,
        electorate=f"panel:{rec.panel_id}",
        actor=actor,
    )
    rec.ballot_id = ballot.id
    rec.status = RecommendationStatus.VOTING
    db.session.flush()
    audit.record(actor, "panel.recommendation_vote", rec, {"status": "draft"}, {"status": "voting"})
    return ballot


def cast(user: User, rec: Recommendation, choice: str) -> None:
    """A member's vote (yes, no, abstain) on a recommendation; members only."""
    if rec.status != RecommendationStatus.VOTING or rec.ballot_id is None:
        raise Conflict(_l("This recommendation is not being voted on."))
    voting.cast_vote(rec.ballot_id, user, choice=choice)


def close_vote(actor: User, rec: Recommendation) -> Recommendation:
    """Close the vote now (end of the meeting); the close hook sets adopted or rejected."""
    if rec.status != RecommendationStatus.VOTING or rec.ballot_id is None:
        raise Conflict(_l("This recommendation is not being voted on."))
    voting.close_ballot(rec.ballot_id, actor=actor)
    db.session.refresh(rec)
    return rec


def _on_ballot_closed(ballot: Ballot) -> None:
    """Voting hook: a closed ballot decides its recommendation (once)."""
    rec = db.session.get(Recommendation, ballot.subject_id)
    if rec is None or rec.status != RecommendationStatus.VOTING:
        return
    adopted = ballot.outcome == Outcome.ADOPTED
    rec.status = RecommendationStatus.ADOPTED if adopted else RecommendationStatus.REJECTED
    db.session.flush()
    audit.record(
        "voting",
        "panel.recommendation_decided",
        rec,
        {"status": "voting"},
        {"status": rec.status.value},
    )


voting.on_close(BALLOT_SUBJECT, _on_ballot_closed)


def vote_counts(rec: Recommendation) -> dict[str, int]:
    """Yes / no / abstain so far."""
    from voting.models import Vote

    counts = dict.fromkeys([c.value for c in Choice], 0)
    if rec.ballot_id is None:
        return counts
    rows = db.session.execute(
        select(Vote.choice, func.count())
        .where(Vote.ballot_id == rec.ballot_id)
        .group_by(Vote.choice)
    )
    for choice, n in rows:
        counts[str(getattr(choice, "value", choice))] = int(n)
    return counts


def my_votes(user: Any, recs: list[Recommendation]) -> dict[int, str]:
    """The user's choice per recommendation id."""
    result = {}
    for rec in recs:
        if rec.ballot_id is not None and user is not None and user.is_authenticated:
            vote = voting.vote_of(rec.ballot_id, user.id)
            if vote is not None:
                result[rec.id] = str(getattr(vote.choice, "value", vote.choice))
    return result


# --- the agency's inbox ---


def submit_adopted(actor: User, panel: Panel) -> PanelSubmission:
    """Send every adopted, not yet submitted recommendation to the responsible agency's inbox
    as ONE proposal with the panel as author (origin 'panel', origin id = the submission)."""
    from proposals.inbox import create_proposal
    from proposals.models import OriginType

    adopted = [
        r
        for r in recommendations_of(panel)
        if r.status == RecommendationStatus.ADOPTED and r.submission_id is None
    ]
    if not adopted:
        raise Conflict(_l("There are no adopted recommendations to submit."))
    submission = PanelSubmission(
        panel_id=panel.id, submitted_by_id=actor.id, submitted_at=clock.now()
    )
    db.session.add(submission)
    db.session.flush()
    for rec in adopted:
        rec.submission_id = submission.id
    proposal = create_proposal(
        OriginType.PANEL,
        submission.id,
        agency=panel.agency,
        title=str(_l("Recommendations of the citizens' panel: %(title)s", title=panel.title)),
        summary=_summary(adopted),
        actor=actor,
    )
    submission.proposal_id = proposal.id
    db.session.flush()
    audit.record(
        actor,
        "panel.recommendations_submitted",
        submission,
        after={"panel_id": panel.id, "proposal_id": proposal.id, "count": len(adopted)},
    )
    return submission


def _summary(recs: list[Recommendation]) -> str:
    parts = []
    for n, rec in enumerate(recs, 1):
        step = f" ({_l('step')}: {rec.step.title})" if rec.step else ""
        parts.append(f"{n}. {rec.title}{step}\n{rec.body}")
    return "\n\n".join(parts)


def submissions_of(panel: Panel) -> list[PanelSubmission]:
    """The panel's submissions, oldest first."""
    return list(
        db.session.scalars(
            select(PanelSubmission)
            .where(PanelSubmission.panel_id == panel.id)
            .order_by(PanelSubmission.id)
        )
    )


def _submission_people(proposal: Any) -> set[int]:
    """Accounts of everyone who sat on the panel when it submitted (stakeholders, raters)."""
    submission = db.session.get(PanelSubmission, proposal.origin_id)
    if submission is None:
        return set()
    return set(
        db.session.scalars(
            select(ResidentLink.user_id)
            .join(PanelMembership, PanelMembership.person_id == ResidentLink.person_id)
            .where(
                PanelMembership.panel_id == submission.panel_id,
                PanelMembership.started_on <= clock.local(submission.submitted_at).date(),
            )
        )
    )


def register_origin() -> None:
    """Panel members are the stakeholders and raters of the panel's proposals."""
    try:
        from proposals.inbox import register_raters, register_stakeholders
    except ImportError:  # pragma: no cover - the inbox is optional
        return
    register_stakeholders("panel", _submission_people)
    register_raters("panel", lambda proposal, user: user.id in _submission_people(proposal))


register_origin()
