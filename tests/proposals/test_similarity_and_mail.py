"""Similar ideas by full text (SQLite FTS5 / PostgreSQL), and milestone e-mails."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from civic.accounts.models import User
from civic.extensions import db
from civic.mail.services import send_pending
from proposals import ideas
from proposals.models import Idea
from proposals.similarity import similar_ideas, terms
from tests.proposals.support import outbox
from tests.support import SmtpSink


def test_terms_drop_stop_words_and_repeats() -> None:
    assert terms("Meer prullenbakken in het park, meer PARK!") == ["prullenbakken", "park"]


def test_near_duplicate_title_is_found(submit: Callable[..., Idea], author: User) -> None:
    near = submit("Meer prullenbakken in het Vondelpark")
    submit("Langere openingstijden van de bibliotheek", problem="Te vroeg dicht.")
    other = submit("Betere verlichting op het fietspad", problem="Donker in de winter.")
    withdrawn = submit("Prullenbakken bij het station")
    ideas.withdraw_idea(author, withdrawn)
    db.session.commit()
    found = similar_ideas("Prullenbakken in het Vondelpark", 5)
    assert found and found[0].id == near.id
    assert withdrawn.id not in [m.id for m in found]
    assert other.id not in [m.id for m in found]
    assert similar_ideas("de het een", 5) == []
    assert [m.id for m in similar_ideas("Vondelpark", 5, exclude_id=near.id)] == []


def test_similarity_follows_edits(submit: Callable[..., Idea], author: User, agency: Any) -> None:
    idea = submit("Meer prullenbakken in het Vondelpark")
    data = ideas.IdeaData(
        "Bankjes langs de rivier", "Nergens zitten.", "Tien bankjes.", "parken", agency.id
    )
    ideas.edit_idea(author, idea, data)
    db.session.commit()
    assert similar_ideas("prullenbakken Vondelpark", 5) == []
    assert [m.id for m in similar_ideas("bankjes rivier", 5)] == [idea.id]


def test_similar_endpoint_returns_json(submit: Callable[..., Idea], client: Any) -> None:
    idea = submit("Meer prullenbakken in het Vondelpark")
    body = client.get("/ideas/similar?title=prullenbakken+vondelpark&lang=en").get_json()
    assert body["ideas"][0]["id"] == idea.id
    assert body["ideas"][0]["url"] == f"/ideas/{idea.id}"
    assert client.get("/ideas/similar?title=").get_json() == {"ideas": []}


def test_milestone_mails_once_at_a_third_and_two_thirds(
    voting_idea: Callable[..., Idea],
    residents: Callable[..., list[User]],
    author: User,
    app: Any,
    smtp_server: SmtpSink,
) -> None:
    app.config["IDEA_VOTE_RULES"] = {"afval": {"threshold": 6, "months": 3}}
    idea = voting_idea()
    follower = residents(1)[0]
    ideas.follow(follower, idea)
    db.session.commit()
    voters = residents(4)
    for voter in voters[:2]:  # 2 of 6: one third
        ideas.vote_for(idea, voter)
        db.session.commit()
    assert len(outbox("idea.milestone")) == 2  # the author and the follower
    ideas.withdraw_vote(idea, voters[1])  # dips below a third ...
    db.session.commit()
    ideas.vote_for(idea, voters[1])  # ... and back: no second mail
    db.session.commit()
    assert len(outbox("idea.milestone")) == 2
    for voter in voters[2:]:  # 4 of 6: two thirds
        ideas.vote_for(idea, voter)
        db.session.commit()
    messages = outbox("idea.milestone")
    assert len(messages) == 4
    assert sorted(m.to_address for m in messages) == sorted([author.email, follower.email] * 2)
    report = send_pending()
    assert report.sent == 4
    subjects = sorted(str(m["Subject"]) for m in smtp_server.messages)
    assert len(subjects) == 4
    assert any("two thirds" in s or "twee derde" in s for s in subjects)
    body = smtp_server.messages[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert f"/ideas/{idea.id}" in body
