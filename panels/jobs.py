"""Scheduled sweeps of panels; idempotent, safe to run twice, late or in parallel.

They flush; the scheduler (civic.scheduling.run_due) commits after each job.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from civic import audit, clock
from civic.extensions import db
from panels.models import Invitation, InvitationStatus, Wave
from panels.notices import recipient, send_reminder_mail

DEFAULT_REMINDER_DAYS = 7
SWEEP_SECONDS = 15 * 60
ROTATION_SECONDS = 3600


def reminder_days() -> int:
    """How many days before the deadline the reminder goes out."""
    return int(current_app.config.get("PANELS_REMINDER_DAYS", DEFAULT_REMINDER_DAYS))


def send_reminders(now: datetime | None = None) -> int:
    """E-mail one reminder per pending invitation (with a verified account) inside the
    reminder window; claims each invitation with a conditional update, so never twice."""
    now = now or clock.now()
    window_start = now + timedelta(days=reminder_days())
    candidates = db.session.scalars(
        select(Invitation)
        .join(Wave, Wave.id == Invitation.wave_id)
        .where(
            Invitation.status == InvitationStatus.PENDING,
            Invitation.reminded_at.is_(None),
            Wave.reply_deadline > now,
            Wave.reply_deadline <= window_start,
        )
        .order_by(Invitation.id)
    ).all()
    sent = 0
    for invitation in candidates:
        if recipient(invitation.person_id) is None:
            continue
        claimed = db.session.execute(
            update(Invitation)
            .where(Invitation.id == invitation.id, Invitation.reminded_at.is_(None))
            .values(reminded_at=now)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            continue
        send_reminder_mail(invitation)
        audit.record(
            None, "invitation.reminded", invitation, after={"reminded_at": now.isoformat()}
        )
        sent += 1
    db.session.flush()
    return sent


def close_replies(now: datetime | None = None) -> int:
    """After a wave's deadline, record every invitation still pending as `no_reply`, once:
    the wave is claimed by setting replies_closed_at; one audit row per wave."""
    now = now or clock.now()
    due = db.session.scalars(
        select(Wave.id)
        .where(Wave.reply_deadline <= now, Wave.replies_closed_at.is_(None))
        .order_by(Wave.id)
    ).all()
    total = 0
    for wave_id in due:
        claimed = db.session.execute(
            update(Wave)
            .where(Wave.id == wave_id, Wave.replies_closed_at.is_(None))
            .values(replies_closed_at=now)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            continue
        changed = db.session.execute(
            update(Invitation)
            .where(Invitation.wave_id == wave_id, Invitation.status == InvitationStatus.PENDING)
            .values(status=InvitationStatus.NO_REPLY)
        )
        count = int(changed.rowcount or 0)  # type: ignore[attr-defined]
        audit.record(
            None,
            "wave.replies_closed",
            None,
            after={"no_reply": count, "closed_at": now.isoformat()},
            object_type="Wave",
            object_id=str(wave_id),
        )
        total += count
    db.session.flush()
    return total


def register_jobs() -> None:
    """Register the sweeps with the scheduler."""
    from civic.scheduling import register_job

    register_job("panels.send_reminders", send_reminders, seconds=SWEEP_SECONDS)
    register_job("panels.close_replies", close_replies, seconds=SWEEP_SECONDS)
    register_job("panels.rotate_members", rotate_members, seconds=ROTATION_SECONDS)


def rotate_members(now: datetime | None = None) -> int:
    """Due rotations and term ends, refilled from the reserves (see panels.membership)."""
    from panels.membership import rotate_due

    return rotate_due(now)
