"""The citizens' panel of Burgerzaken on the life event "Verhuizen" (moving house): quotas,
an invitation wave with letters and replies (one by phone, one on paper through the clerk),
the public panel draw, members verified with their letter code, a meeting, the journey map,
recommendations voted by the members and the adopted ones sent to the agency's inbox."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from civic import clock
from civic.accounts.models import User
from civic.demo import people
from civic.demo.story import Story, pick
from civic.extensions import db
from panels import draws, jobs, membership, replies, verification, work
from panels.models import (
    ExcuseReason,
    Invitation,
    InvitationStatus,
    LetterCode,
    Panel,
    PanelMembership,
    PanelStatus,
    QuotaKind,
    Recommendation,
    ReplyChannel,
    ResidentLink,
    TopicKind,
    Wave,
)
from panels.panel_setup import PanelData, QuotaData, add_quota, create_panel
from panels.replies import ReplyData
from panels.waves import WaveRequest, draw_wave
from proposals import answers, inbox, progress
from proposals.models import AnswerKind, ProgressStatus, Proposal

TITLE = "Verhuizen"
SIZE = 12
WAVE = 90
QUOTAS = (
    QuotaData("gender", "female", QuotaKind.COUNT, 5, 7),
    QuotaData("gender", "male", QuotaKind.COUNT, 5, 7),
    QuotaData("age_group", "65+", QuotaKind.COUNT, 2, 4),
)
STEPS = (
    ("Verhuizing doorgeven bij de gemeente", "Online of aan de balie, binnen 5 dagen."),
    ("Brief over het adresonderzoek", "Soms controleert de gemeente of u er echt woont."),
    ("Parkeervergunning overzetten", "Een nieuwe vergunning aanvragen voor de nieuwe straat."),
    ("Afvalpas voor het nieuwe adres", "De pas voor de containers werkt alleen op het oude adres."),
    ("School en kinderopvang regelen", "Inschrijven bij een school of opvang in de nieuwe wijk."),
)  # fmt: skip
PAINS = (
    "Ik moest drie keer hetzelfde adres invullen.",
    "De brief was moeilijk te begrijpen.",
    "Niemand vertelde me dat de afvalpas niet meeging.",
    "",
)
RECOMMENDATIONS = (
    ("Eén formulier voor de hele verhuizing", 0,
     "Laat één verhuismelding ook de parkeervergunning, de afvalpas en de belastingen "
     "aanpassen.", ("yes",) * 9 + ("no", "abstain")),
    ("Parkeervergunning automatisch meeverhuizen", 2,
     "Zet een geldige parkeervergunning automatisch over als de nieuwe straat in hetzelfde "
     "vergunninggebied ligt.", ("yes",) * 7 + ("no",) * 3 + ("abstain",)),
    ("Brieven over het adresonderzoek alleen nog digitaal", 1,
     "Stuur de brieven over het adresonderzoek alleen via de Berichtenbox.",
     ("no",) * 7 + ("yes",) * 3 + ("abstain",)),
)  # fmt: skip
COMMENTS = (
    "Dit scheelt echt veel gedoe, vooral voor ouderen.",
    "Let wel op mensen zonder DigiD.",
)
EDUCATION = ("primary", "secondary", "vocational", "higher")
SKILLS = ("none", "basic", "good")


def panel_loaded() -> bool:
    """The marker of this section: the demo panel exists."""
    return db.session.scalar(select(Panel.id).where(Panel.title == TITLE)) is not None


def _panel(story: Story) -> Panel:
    panel: Panel = story.state["panel"]
    return panel


def _create(story: Story) -> None:
    burgerzaken = story.state["agencies"]["burgerzaken"]
    data = PanelData(
        TopicKind.LIFE_EVENT,
        TITLE,
        "Wat gaat er goed en wat gaat er mis als je in Rivierstad verhuist? Twaalf inwoners, "
        "gekozen door loting, lopen de hele reis na en doen voorstellen aan Burgerzaken.",
        burgerzaken.id,
        SIZE,
        18,
        6,
        33,
        24,
        PanelStatus.RECRUITING,
    )
    panel = create_panel(story.state["admin"], data)
    for quota in QUOTAS:
        add_quota(story.state["admin"], panel, quota)
    story.state["panel"] = panel


def _wave(story: Story, seed: str, reply_by: date) -> None:
    wave = draw_wave(story.state["admin"], _panel(story), WaveRequest(seed, WAVE, reply_by))
    story.state["wave"] = wave


def _invitations(story: Story) -> list[Invitation]:
    wave: Wave = story.state["wave"]
    return list(
        db.session.scalars(
            select(Invitation).where(Invitation.wave_id == wave.id).order_by(Invitation.position)
        )
    )


def _data(n: int, invitation: Invitation) -> ReplyData | None:
    """The reply of invitation `n`: 34 yes, 12 no, 4 deferred, 4 excused, the rest silent."""
    if n < 34:
        answers = {
            "education": EDUCATION[pick(f"edu{n}", len(EDUCATION))],
            "digital_skills": SKILLS[pick(f"skill{n}", len(SKILLS))],
        }
        needs = "Rolstoeltoegankelijke zaal" if n == 5 else None
        return ReplyData(InvitationStatus.YES, answers=answers, access_needs=needs)
    if n < 46:
        return ReplyData(InvitationStatus.NO)
    if n < 50:
        return ReplyData(InvitationStatus.DEFERRED, defer_to=replies.defer_options(invitation)[3])
    if n < 54:
        reason = (ExcuseReason.HEALTH, ExcuseReason.CARE, ExcuseReason.WORK_STUDY)[n % 3]
        text = "Ik ben de komende maanden in het buitenland." if n == 53 else None
        return ReplyData(
            InvitationStatus.EXCUSED,
            excuse_reason=ExcuseReason.OTHER if n == 53 else reason,
            excuse_text=text,
        )
    return None


def _reply(story: Story, n: int) -> None:
    invitation = _invitations(story)[n]
    data = _data(n, invitation)
    if data is None:
        return
    if n in (7, 50):  # by phone and on paper, recorded by the clerk with the letter's code
        clerk = story.state["clerk"]
        code = verification.clear_code(_code_row(invitation))
        found = replies.clerk_invitation_by_code(clerk, code)
        channel = ReplyChannel.PHONE if n == 7 else ReplyChannel.PAPER
        replies.record_reply(found, data, channel=channel, actor=clerk)
        return
    replies.record_reply(invitation, data, channel=ReplyChannel.WEB, actor=None)


def _code_row(invitation: Invitation) -> LetterCode:
    row = db.session.scalar(select(LetterCode).where(LetterCode.invitation_id == invitation.id))
    assert row is not None
    return row


def _prepare(story: Story) -> None:
    result = draws.prepare_panel_draw(story.state["admin"], _panel(story))
    if not hasattr(result, "record_sha256"):
        raise RuntimeError(f"demo panel draw infeasible: {result}")
    draws.publish_panel_draw(story.state["admin"], _panel(story))


def _members(story: Story) -> list[tuple[User, PanelMembership]]:
    """Each serving member with their verified account."""
    found = []
    for seat in draws.serving_members(_panel(story)):
        user_id = db.session.scalar(
            select(ResidentLink.user_id).where(ResidentLink.person_id == seat.person_id)
        )
        user = db.session.get(User, user_id) if user_id is not None else None
        if user is not None:
            found.append((user, seat))
    return found


def member_email(n: int) -> str:
    """The e-mail of demo panel member account `n` (1-based)."""
    return f"panellid{n:02d}@rivierstad.demo"


def _verify_members(story: Story) -> None:
    """Members without an account get one and verify it with their invitation's code."""
    for n, seat in enumerate(draws.serving_members(_panel(story)), 1):
        linked = db.session.scalar(
            select(ResidentLink.id).where(ResidentLink.person_id == seat.person_id)
        )
        if linked is None:
            user = people.create_account(
                member_email(n), people.display_name(500 + n), story.state["hash"]
            )
            invitation = db.session.get(Invitation, seat.invitation_id)
            assert invitation is not None
            verification.redeem(user, verification.clear_code(_code_row(invitation)))
        membership.confirm(story.state["admin"], seat)


def _meeting(story: Story, starts: datetime) -> None:
    data = work.MeetingData(
        starts,
        "Stadhuis Rivierstad, zaal De Waal",
        "",
        "1. Kennismaken\n2. De verhuisreis stap voor stap\n3. Eerste aanbevelingen",
    )
    story.state["meeting"] = work.create_meeting(story.state["admin"], _panel(story), data)
    for title, description in STEPS:
        work.add_step(story.state["admin"], _panel(story), title, description)


def _attend(story: Story) -> None:
    seats = draws.serving_members(_panel(story))
    present = {s.id for s in seats[:-1]}  # one member sent apologies
    work.record_attendance(story.state["admin"], story.state["meeting"], present)


def _rate(story: Story, n: int) -> None:
    user, _seat = _members(story)[n]
    for m, step in enumerate(work.steps_of(_panel(story))):
        score = 1 + pick(f"rate{n}:{m}", 5) if m != 0 else 1 + pick(f"rate{n}", 2)
        pain = PAINS[pick(f"pain{n}:{m}", len(PAINS))] if score <= 3 else ""
        work.rate_step(user, _panel(story), step.id, score, pain)


def _draft(story: Story, k: int) -> None:
    title, step_index, body, _votes = RECOMMENDATIONS[k]
    members = _members(story)
    step = work.steps_of(_panel(story))[step_index]
    rec = work.draft(members[k][0], _panel(story), title, body, step.id)
    story.state.setdefault("recs", []).append(rec)
    for m, text in enumerate(COMMENTS if k == 0 else ()):
        work.comment(members[m + 3][0], rec, text)


def _open(story: Story, closes: datetime) -> None:
    for rec in story.state["recs"]:
        work.open_vote(story.state["admin"], rec, closes)


def _cast(story: Story, n: int) -> None:
    user, _seat = _members(story)[n]
    for rec, (_t, _s, _b, votes) in zip(story.state["recs"], RECOMMENDATIONS, strict=True):
        if n < len(votes):
            work.cast(user, rec, votes[n])


def _close(story: Story) -> None:
    recs: list[Recommendation] = story.state["recs"]
    for rec in recs:
        work.close_vote(story.state["admin"], rec)


def _submit(story: Story) -> None:
    submission = work.submit_adopted(story.state["admin"], _panel(story))
    story.state["panel_proposal"] = db.session.get(Proposal, submission.proposal_id)


def _answer(story: Story) -> None:
    proposal = story.state["panel_proposal"]
    officer = story.state["officers"]["officer@burgerzaken.demo"]
    inbox.assign(officer, proposal, officer.id)
    data = answers.AnswerData(
        AnswerKind.ADOPTED,
        "We bouwen één verhuisformulier en zetten vergunningen automatisch over",
        "Beide aanbevelingen nemen we over. Het nieuwe formulier is er in het najaar; de "
        "parkeervergunning verhuist vanaf januari automatisch mee.",
    )
    answers.save_draft(officer, proposal, data)
    answers.publish(officer, proposal)


def _progress(story: Story) -> None:
    officer = story.state["officers"]["officer@burgerzaken.demo"]
    data = progress.ProgressData(
        ProgressStatus.PLANNED,
        10,
        "Het ontwerp van het formulier is getest met vijf panelleden.",
        clock.local(clock.now()).date(),
    )
    progress.add_update(officer, story.state["panel_proposal"], data)


def add_panel(story: Story) -> None:
    """Put the panel's year on the story."""
    story.step(story.at(125, 10), lambda: _create(story))
    reply_by = clock.local(story.at(99, 12)).date()
    seed = f"Lotto {clock.local(story.at(121, 20)).date().isoformat()}: 4 11 19 27 33 40"
    story.step(story.at(120, 10), lambda: _wave(story, seed, reply_by))
    for n in range(WAVE):
        story.step(story.at(119 - n * 18 / WAVE, 9 + n % 10), lambda i=n: _reply(story, i))
    story.step(story.at(103, 6), jobs.send_reminders)
    story.step(story.at(98, 6), jobs.close_replies)
    story.step(story.at(95, 10), lambda: _prepare(story))
    draw_seed = f"Lotto {clock.local(story.at(93, 20)).date().isoformat()}: 2 9 17 23 31 44"
    story.step(
        story.at(92, 10),
        lambda: draws.seed_panel_draw(story.state["admin"], _panel(story), draw_seed),
    )
    story.step(story.at(91, 10), lambda: _verify_members(story))
    story.step(story.at(86, 10), lambda: _meeting(story, story.at(80, 18, 30)))
    story.step(story.at(80, 21), lambda: _attend(story))
    for n in range(SIZE):
        story.step(story.at(80, 21, 30 + 2 * n), lambda i=n: _rate(story, i))
    for k in range(len(RECOMMENDATIONS)):
        story.step(story.at(79, 11 + k), lambda i=k: _draft(story, i))
    story.step(story.at(76, 9), lambda: _open(story, story.at(73, 12)))
    for n in range(SIZE):
        story.step(story.at(76 - n / 6, 12), lambda i=n: _cast(story, i))
    story.step(story.at(73, 10), lambda: _close(story))
    story.step(story.at(72, 10), lambda: _submit(story))
    story.step(story.at(25, 14), lambda: _answer(story))
    story.step(story.at(10, 15), lambda: _progress(story))
