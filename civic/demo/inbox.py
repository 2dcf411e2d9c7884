"""The agency inbox after the votes: assignments, published answers of every kind (one
revised), progress up to done, ratings, a "needs more time" and an overdue proposal."""

from __future__ import annotations

from datetime import date, timedelta

from civic import clock
from civic.accounts.models import User
from civic.demo.story import Story
from proposals import answers, inbox, progress
from proposals.inbox import proposal_for
from proposals.models import AnswerKind, Idea, OriginType, ProgressStatus, Proposal

# (idea, days ago, kind, summary, explanation, reason)
ANSWERS = (
    ("mantelzorgpas", 330, AnswerKind.TO_PILOT, "Eerst een proef van zes weken in Oost",
     "We willen weten of de pas echt helpt en of de parkeerdruk niet te hoog wordt. Daarom "
     "testen twintig mantelzorgers de pas eerst zes weken.",
     "De gevolgen voor de parkeerdruk zijn nog onbekend."),
    ("containers", 290, AnswerKind.ADOPTED, "We plaatsen 30 ondergrondse containers",
     "In het Havenkwartier komen 30 ondergrondse containers. Losse zakken halen we daarna "
     "niet meer op.", ""),
    ("avondbalie", 265, AnswerKind.ADOPTED_IN_PART, "Eén avond per week, op dinsdag",
     "We openen de balie op dinsdagavond tot 20.00 uur. Een tweede avond is nu te duur.",
     "Er is budget voor één avond per week."),
    ("grofvuil", 240, AnswerKind.REJECTED, "We houden het tarief voor grofvuil",
     "Gratis ophalen kost ruim 400.000 euro per jaar. Wel gaan we dumpingen sneller opruimen.",
     "De kosten passen niet in de begroting; gratis ophalen leidt elders ook niet tot minder "
     "dumpingen."),
    ("avondbalie", 200, AnswerKind.ADOPTED, "Herzien: twee avonden per week",
     "Na de proef op dinsdag blijkt de vraag groot. Vanaf nu is de balie ook op donderdagavond "
     "open.", ""),
    ("wmo_wachttijd", 50, AnswerKind.NEEDS_MORE_TIME, "We hebben meer tijd nodig",
     "We onderzoeken met de leverancier van Mijn Rivierstad of de status van een aanvraag "
     "zichtbaar kan worden.",
     "De leverancier kan pas volgende maand zeggen wat het kost."),
)  # fmt: skip

# (idea, days ago, status, percent, milestone)
PROGRESS = (
    ("containers", 250, ProgressStatus.PLANNED, 10, "De 30 locaties zijn gekozen met de buurt."),
    ("mantelzorgpas", 228, ProgressStatus.IN_PROGRESS, 60,
     "De proef is positief beoordeeld; de invoering is gepland."),
    ("containers", 180, ProgressStatus.IN_PROGRESS, 60, "De eerste 18 containers staan er."),
    ("avondbalie", 150, ProgressStatus.IN_PROGRESS, 40,
     "Dinsdagavond loopt; donderdagavond start na de zomer."),
    ("containers", 60, ProgressStatus.DONE, 100,
     "Alle 30 containers zijn in gebruik; losse zakken worden niet meer opgehaald."),
)  # fmt: skip

# (idea, days ago of the first rating, scores and comments)
RATINGS = (
    ("mantelzorgpas", 326, ((4, "Goed dat het eerst getest wordt."), (3, ""), (5, ""))),
    ("containers", 286, ((5, "Eindelijk!"), (4, ""), (5, ""), (4, "Graag ook in West."))),
    ("grofvuil", 236, ((2, "Jammer, maar de uitleg is duidelijk."), (1, ""), (3, ""))),
    ("avondbalie", 196, ((4, ""), (5, "Twee avonden is precies goed."))),
)

# (idea, days ago): the officer takes the proposal soon after the vote closed
ASSIGNED = (
    ("mantelzorgpas", 348), ("containers", 310), ("avondbalie", 290),
    ("grofvuil", 272), ("wmo_wachttijd", 108), ("verhuismelding", 86),
)  # fmt: skip
NOTE = "Wacht op ICT: de koppeling met parkeren en afval is nog niet klaar."
OFFICERS = {"burgerzaken": "officer@burgerzaken.demo", "afval": "officer@afval.demo",
            "zorg": "officer@zorg.demo"}  # fmt: skip


def proposal_of(story: Story, key: str) -> Proposal:
    """The proposal made from a demo idea when its vote was reached."""
    idea: Idea = story.state["ideas"][key]
    proposal = proposal_for(OriginType.IDEA, idea.id)
    if proposal is None:
        raise LookupError(f"demo idea {key!r} did not become a proposal")
    return proposal


def officer_for(story: Story, proposal: Proposal) -> User:
    """The demo officer of the proposal's agency."""
    officer: User = story.state["officers"][OFFICERS[proposal.agency.slug]]
    return officer


def _assign(story: Story, key: str) -> None:
    proposal = proposal_of(story, key)
    inbox.assign(officer_for(story, proposal), proposal, officer_for(story, proposal).id)


def _answer(story: Story, key: str, kind: AnswerKind, summary: str, text: str, why: str) -> None:
    proposal = proposal_of(story, key)
    officer = officer_for(story, proposal)
    new_due = None
    if kind == AnswerKind.NEEDS_MORE_TIME:
        new_due = story.now + timedelta(days=40)
    data = answers.AnswerData(kind, summary, text, why, new_due)
    answers.save_draft(officer, proposal, data)
    answers.publish(officer, proposal)


def _progress(story: Story, key: str, status: ProgressStatus, percent: int, text: str) -> None:
    proposal = proposal_of(story, key)
    today: date = clock.local(clock.now()).date()
    data = progress.ProgressData(status, percent, text, today)
    progress.add_update(officer_for(story, proposal), proposal, data)


def _rate(story: Story, key: str, voter: User, score: int, comment: str) -> None:
    answers.rate(voter, proposal_of(story, key), score, comment)


def add_inbox(story: Story) -> None:
    """Put the agencies' work on the story (after the ideas' ballots closed)."""
    for key, days in ASSIGNED:
        story.step(story.at(days, 9), lambda k=key: _assign(story, k))
    for key, days, kind, summary, text, why in ANSWERS:
        story.step(
            story.at(days, 14),
            lambda k=key, a=kind, s=summary, t=text, w=why: _answer(story, k, a, s, t, w),
        )
    for key, days, status, percent, text in PROGRESS:
        story.step(
            story.at(days, 15),
            lambda k=key, st=status, p=percent, t=text: _progress(story, k, st, p, t),
        )
    for key, days, scores in RATINGS:
        voters = story.state["voters"][key][1:]  # the demo resident may rate in the UI
        for n, (score, comment) in enumerate(scores):
            story.step(
                story.at(days - n, 20),
                lambda k=key, v=voters[n], s=score, c=comment: _rate(story, k, v, s, c),
            )
    story.step(
        story.at(20, 10),
        lambda: inbox.add_note(
            officer_for(story, proposal_of(story, "verhuismelding")),
            proposal_of(story, "verhuismelding"),
            NOTE,
        ),
    )
