"""Models of the panels area: the register, panels, invitation waves, replies, letter codes."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Enum,
    ForeignKey,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic import clock
from civic.db import UTCDateTime
from civic.extensions import db


def _enum(kind: type[enum.Enum], length: int) -> Enum:
    return Enum(
        kind, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e]
    )


class RegisterStatus(enum.StrEnum):
    """Where a person stands in the register (only `active` adults can be invited)."""

    ACTIVE = "active"
    MOVED_AWAY = "moved_away"
    DECEASED = "deceased"
    INELIGIBLE = "ineligible"
    ABSENT = "absent_from_latest_extract"


class ImportStatus(enum.StrEnum):
    """A completed import changed the register; a rejected one changed nothing."""

    COMPLETED = "completed"
    REJECTED = "rejected"


class RegisterImport(db.Model):  # type: ignore[name-defined,misc]
    """One upload of a register extract, with what it did (or why it was refused)."""

    __tablename__ = "register_import"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # None when run from the command line (the audit row then names "cli").
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    file_name: Mapped[str] = mapped_column(String(255))
    # None only when the file was refused before it was read (too large).
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    file_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    added: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    marked_absent: Mapped[int] = mapped_column(Integer, default=0)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[ImportStatus] = mapped_column(_enum(ImportStatus, 20))

    def counts(self) -> dict[str, int]:
        """The row counts, as recorded in the audit log."""
        return {
            "total_rows": self.total_rows,
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "marked_absent": self.marked_absent,
            "error_count": self.error_count,
        }


class RegisterPerson(db.Model):  # type: ignore[name-defined,misc]
    """A person in the register. The clear register id is never stored, only its HMAC.

    People are never deleted: service history (memberships, invitations) points at these
    ids, so a person missing from a later extract only changes status.
    """

    __tablename__ = "register_person"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    register_key: Mapped[str] = mapped_column(String(64), unique=True)
    household_key: Mapped[str] = mapped_column(String(64), index=True)
    birth_year: Mapped[int] = mapped_column(SmallInteger)
    gender: Mapped[str] = mapped_column(String(20))
    area: Mapped[str] = mapped_column(String(80), index=True)
    # JSON object (sorted keys) of the configured extra stratification fields.
    extra: Mapped[str] = mapped_column(Text, default="{}")
    status: Mapped[RegisterStatus] = mapped_column(
        _enum(RegisterStatus, 30), default=RegisterStatus.ACTIVE, index=True
    )
    first_import_id: Mapped[int] = mapped_column(ForeignKey("register_import.id"))
    # The import that last created or changed this person.
    last_import_id: Mapped[int] = mapped_column(ForeignKey("register_import.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


# --- Panels, waves, invitations, replies (points 2-4 of the panels issue) ---------------------


class TopicKind(enum.StrEnum):
    """What a panel works on."""

    SERVICE = "service"
    LIFE_EVENT = "life_event"
    CUSTOMER_JOURNEY = "customer_journey"


class PanelStatus(enum.StrEnum):
    """A panel's life: drafted, recruiting (waves), active (seated), closed."""

    DRAFT = "draft"
    RECRUITING = "recruiting"
    ACTIVE = "active"
    CLOSED = "closed"


class QuotaKind(enum.StrEnum):
    """A quota as absolute seat counts or as a population share with a tolerance."""

    COUNT = "count"
    SHARE = "share"


class Panel(db.Model):  # type: ignore[name-defined,misc]
    """A rotating citizen panel on one topic, answering to one agency."""

    __tablename__ = "panel"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    topic_kind: Mapped[TopicKind] = mapped_column(_enum(TopicKind, 20))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    size: Mapped[int] = mapped_column(Integer)
    term_months: Mapped[int] = mapped_column(Integer)
    rotation_months: Mapped[int] = mapped_column(Integer)
    # Share of the seats replaced at every rotation, in percent (a third: 33).
    rotation_percent: Mapped[int] = mapped_column(Integer)
    rest_months: Mapped[int] = mapped_column(Integer)
    # Set when the first draw seats the panel; rotations count from this day.
    seated_on: Mapped[date | None] = mapped_column(Date)
    rotations_done: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[PanelStatus] = mapped_column(_enum(PanelStatus, 20), default=PanelStatus.DRAFT)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    agency = relationship("Agency", lazy="joined")

    def snapshot(self) -> dict[str, object]:
        """The editable fields, for the audit log."""
        return {
            "topic_kind": self.topic_kind.value,
            "title": self.title,
            "agency_id": self.agency_id,
            "size": self.size,
            "term_months": self.term_months,
            "rotation_months": self.rotation_months,
            "rotation_percent": self.rotation_percent,
            "rest_months": self.rest_months,
            "status": self.status.value,
        }


class PanelQuota(db.Model):  # type: ignore[name-defined,misc]
    """One feature value's quota: min/max seats, or a population share (percent) ± tolerance."""

    __tablename__ = "panel_quota"
    __table_args__ = (UniqueConstraint("panel_id", "feature", "value"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panel.id", ondelete="CASCADE"), index=True)
    feature: Mapped[str] = mapped_column(String(40))
    value: Mapped[str] = mapped_column(String(80))
    kind: Mapped[QuotaKind] = mapped_column(_enum(QuotaKind, 10))
    min_count: Mapped[int | None] = mapped_column(Integer)
    max_count: Mapped[int | None] = mapped_column(Integer)
    share_percent: Mapped[Decimal | None] = mapped_column(Numeric(6, 3))
    tolerance_percent: Mapped[Decimal | None] = mapped_column(Numeric(6, 3))


class MembershipStatus(enum.StrEnum):
    """Seated or no longer seated (filled in by the draw and rotation)."""

    SERVING = "serving"
    ENDED = "ended"


class EndReason(enum.StrEnum):
    """Why a seat ended."""

    ROTATION = "rotation"
    TERM_END = "term_end"
    WITHDRAWN = "withdrawn"
    NO_SHOW = "no_show"
    PANEL_CLOSED = "panel_closed"


class PanelMembership(db.Model):  # type: ignore[name-defined,misc]
    """A person's seat on a panel; waves skip people serving or inside their rest period.

    Seated by a draw (`draw_id`, the volunteer's yes `invitation_id`) or from the reserve
    list; `rotation_rank` orders members who started the same day for staggered rotation."""

    __tablename__ = "panel_membership"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panel.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("register_person.id"), index=True)
    status: Mapped[MembershipStatus] = mapped_column(
        _enum(MembershipStatus, 10), default=MembershipStatus.SERVING
    )
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitation.id"), index=True)
    draw_id: Mapped[int | None] = mapped_column(ForeignKey("draw.id"))
    # True when seated from the reserve list (replacement), False when drawn.
    from_reserve: Mapped[bool] = mapped_column(Boolean, default=False)
    rotation_rank: Mapped[int] = mapped_column(Integer, default=0)
    term_ends_on: Mapped[date | None] = mapped_column(Date)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    end_reason: Mapped[EndReason | None] = mapped_column(_enum(EndReason, 20))

    person = relationship("RegisterPerson", lazy="joined")

    @property
    def pseudonym(self) -> str:
        """The public pseudonym in draw records: V + the yes invitation's id."""
        return f"V{self.invitation_id}"


class Wave(db.Model):  # type: ignore[name-defined,misc]
    """One invitation wave: N invitees drawn with hash tickets over a public seed."""

    __tablename__ = "invitation_wave"
    __table_args__ = (UniqueConstraint("panel_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panel.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    seed: Mapped[str] = mapped_column(String(200))
    requested: Mapped[int] = mapped_column(Integer)
    wave_date: Mapped[date] = mapped_column(Date)
    reply_deadline: Mapped[datetime] = mapped_column(UTCDateTime())
    # JSON object area -> factor (> 1 draws more in that area); "{}" for a uniform draw.
    area_factors: Mapped[str] = mapped_column(Text, default="{}")
    eligible_count: Mapped[int] = mapped_column(Integer, default=0)
    # SHA-256 over the sorted eligible pool (register keys), so the draw can be re-checked.
    pool_sha256: Mapped[str] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    replies_closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    panel = relationship("Panel", lazy="joined")


class InvitationStatus(enum.StrEnum):
    """Where an invitation stands; `pending` until a reply or the deadline."""

    PENDING = "pending"
    YES = "yes"
    NO = "no"
    DEFERRED = "deferred"
    EXCUSED = "excused"
    NO_REPLY = "no_reply"


class Invitation(db.Model):  # type: ignore[name-defined,misc]
    """One person invited in one wave."""

    __tablename__ = "invitation"
    __table_args__ = (UniqueConstraint("wave_id", "person_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("invitation_wave.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("register_person.id"), index=True)
    status: Mapped[InvitationStatus] = mapped_column(
        _enum(InvitationStatus, 20), default=InvitationStatus.PENDING, index=True
    )
    # Place in the wave's hash-ticket order (deferred people first, then the draw).
    position: Mapped[int] = mapped_column(Integer)
    # Set when this invitation fulfils an earlier deferral; such an invitation cannot defer.
    deferred_from_id: Mapped[int | None] = mapped_column(ForeignKey("invitation.id"))
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    wave = relationship("Wave", lazy="joined")
    person = relationship("RegisterPerson", lazy="joined")


class ReplyChannel(enum.StrEnum):
    """How a reply reached us."""

    WEB = "web"
    PHONE = "phone"
    PAPER = "paper"


class ExcuseReason(enum.StrEnum):
    """Why someone is excused."""

    HEALTH = "health"
    CARE = "care"
    WORK_STUDY = "work_study"
    OTHER = "other"


class Reply(db.Model):  # type: ignore[name-defined,misc]
    """The one reply to an invitation, by the person on the web or by a clerk."""

    __tablename__ = "invitation_reply"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitation.id"), unique=True)
    answer: Mapped[InvitationStatus] = mapped_column(_enum(InvitationStatus, 20))
    channel: Mapped[ReplyChannel] = mapped_column(_enum(ReplyChannel, 10))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    excuse_reason: Mapped[ExcuseReason | None] = mapped_column(_enum(ExcuseReason, 20))
    excuse_text: Mapped[str | None] = mapped_column(Text)
    # JSON object question key -> chosen option (the stratification answers of a yes).
    answers: Mapped[str] = mapped_column(Text, default="{}")
    availability: Mapped[str | None] = mapped_column(Text)
    access_needs: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


class Deferral(db.Model):  # type: ignore[name-defined,misc]
    """A deferred invitation: the person is invited again by the panel's first wave in
    [not_before, until]; `placed_invitation_id` is that later invitation."""

    __tablename__ = "invitation_deferral"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitation.id"), unique=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panel.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("register_person.id"), index=True)
    not_before: Mapped[date] = mapped_column(Date)
    until: Mapped[date] = mapped_column(Date)
    placed_invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitation.id"))


class CodePurpose(enum.StrEnum):
    """Why a letter code was issued."""

    INVITATION = "invitation"
    CLERK = "clerk"


class LetterCode(db.Model):  # type: ignore[name-defined,misc]
    """A one-time letter code. Only an HMAC of the code is stored for look-up; the code
    itself is derived from the server key and `nonce`, so letters can be reprinted."""

    __tablename__ = "letter_code"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    nonce: Mapped[str] = mapped_column(String(32))
    person_id: Mapped[int] = mapped_column(ForeignKey("register_person.id"), index=True)
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitation.id"), unique=True)
    purpose: Mapped[CodePurpose] = mapped_column(_enum(CodePurpose, 20))
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    redeemed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    redeemed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class ResidentLink(db.Model):  # type: ignore[name-defined,misc]
    """An account verified as a register person: one account per person and vice versa."""

    __tablename__ = "resident_link"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("register_person.id"), unique=True)
    code_id: Mapped[int] = mapped_column(ForeignKey("letter_code.id"))
    verified_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CodeAttempt(db.Model):  # type: ignore[name-defined,misc]
    """A wrong letter code, counted per user (verification) or per hashed IP (replies)."""

    __tablename__ = "letter_code_attempt"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(10))
    key: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now, index=True)


# --- The panel's work: meetings, attendance, payments, journey map, recommendations ---------


class Meeting(db.Model):  # type: ignore[name-defined,misc]
    """A meeting of a panel: when, where (a place or an online link), the agenda."""

    __tablename__ = "panel_meeting"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panel.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    place: Mapped[str | None] = mapped_column(String(200))
    online_url: Mapped[str | None] = mapped_column(String(500))
    agenda: Mapped[str] = mapped_column(Text, default="")
    # Set when the attendance is recorded: the meeting was held.
    held_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


class Attendance(db.Model):  # type: ignore[name-defined,misc]
    """Whether a member attended a meeting."""

    __tablename__ = "panel_attendance"
    __table_args__ = (UniqueConstraint("meeting_id", "membership_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("panel_meeting.id"), index=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("panel_membership.id"), index=True)
    present: Mapped[bool] = mapped_column(Boolean)


class PaymentKind(enum.StrEnum):
    """A stipend for attending, or an expense claimed."""

    STIPEND = "stipend"
    EXPENSE = "expense"


class PanelPayment(db.Model):  # type: ignore[name-defined,misc]
    """A stipend or expense entry of a member for a meeting (entries are only added)."""

    __tablename__ = "panel_payment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("panel_membership.id"), index=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("panel_meeting.id"), index=True)
    kind: Mapped[PaymentKind] = mapped_column(_enum(PaymentKind, 10))
    amount: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    note: Mapped[str] = mapped_column(String(200), default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


class JourneyStep(db.Model):  # type: ignore[name-defined,misc]
    """One step of the life event or customer journey the panel maps."""

    __tablename__ = "panel_journey_step"
    __table_args__ = (UniqueConstraint("panel_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panel.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")


class StepRating(db.Model):  # type: ignore[name-defined,misc]
    """A member's rating (1 very poor .. 5 very good) of a step, with pain points."""

    __tablename__ = "panel_step_rating"
    __table_args__ = (UniqueConstraint("step_id", "membership_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    step_id: Mapped[int] = mapped_column(ForeignKey("panel_journey_step.id"), index=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("panel_membership.id"), index=True)
    score: Mapped[int] = mapped_column(SmallInteger)
    pain_points: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


class RecommendationStatus(enum.StrEnum):
    """draft → voting → adopted / rejected; adopted ones are later submitted."""

    DRAFT = "draft"
    VOTING = "voting"
    ADOPTED = "adopted"
    REJECTED = "rejected"


class Recommendation(db.Model):  # type: ignore[name-defined,misc]
    """A recommendation drafted by a member, linked to a journey step (or the whole journey)."""

    __tablename__ = "panel_recommendation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panel.id"), index=True)
    step_id: Mapped[int | None] = mapped_column(ForeignKey("panel_journey_step.id"))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    author_membership_id: Mapped[int | None] = mapped_column(ForeignKey("panel_membership.id"))
    status: Mapped[RecommendationStatus] = mapped_column(
        _enum(RecommendationStatus, 10), default=RecommendationStatus.DRAFT
    )
    ballot_id: Mapped[int | None] = mapped_column(ForeignKey("ballot.id"))
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("panel_submission.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    step = relationship("JourneyStep", lazy="joined")


class RecommendationComment(db.Model):  # type: ignore[name-defined,misc]
    """A member's comment in the discussion of a recommendation."""

    __tablename__ = "panel_recommendation_comment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recommendation_id: Mapped[int] = mapped_column(
        ForeignKey("panel_recommendation.id"), index=True
    )
    membership_id: Mapped[int] = mapped_column(ForeignKey("panel_membership.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


class PanelSubmission(db.Model):  # type: ignore[name-defined,misc]
    """Adopted recommendations sent together to the agency as ONE proposal (origin 'panel')."""

    __tablename__ = "panel_submission"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panel.id"), index=True)
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposal.id"))
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
