"""The pages: forms with CSRF, the similar-ideas step, per-object authorization."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from civic.accounts.models import Role, User
from civic.extensions import db
from proposals.models import Follow, Idea
from proposals.rules import IdeaStatus
from tests.proposals.support import audit_count
from tests.support import csrf_token

Login = Callable[[FlaskClient, Any], None]


def _form(agency: Any, title: str, **extra: str) -> dict[str, str]:
    return {
        "title": title,
        "problem": "Litter everywhere after weekends.",
        "proposed_change": "Place ten more bins.",
        "service_area": "afval",
        "agency_id": str(agency.id),
        **extra,
    }


def test_submit_shows_similar_ideas_first(
    client: FlaskClient, login: Login, author: User, agency: Any, submit: Callable[..., Idea]
) -> None:
    existing = submit("More litter bins in the park")
    login(client, author)
    token = csrf_token(client, "/ideas/new")
    data = {**_form(agency, "Litter bins in the park please"), "csrf_token": token}
    step = client.post("/ideas/new?lang=en", data=data)
    page = step.get_data(as_text=True)
    assert step.status_code == 200 and "Is your idea already here?" in page
    assert f"/ideas/{existing.id}" in page
    assert db.session.scalar(select(Idea).where(Idea.title.like("%please"))) is None
    done = client.post("/ideas/new", data={**data, "checked": "1"})
    assert done.status_code == 303
    idea = db.session.scalar(select(Idea).where(Idea.title.like("%please")))
    assert idea is not None and idea.status == IdeaStatus.SUBMITTED


def test_submit_refuses_bad_input_and_missing_csrf(
    client: FlaskClient, login: Login, author: User, agency: Any
) -> None:
    login(client, author)
    assert client.post("/ideas/new", data=_form(agency, "No token")).status_code == 400
    token = csrf_token(client, "/ideas/new")
    long_title = {**_form(agency, "x" * 121), "csrf_token": token}
    response = client.post("/ideas/new?lang=en", data=long_title)
    assert response.status_code == 422
    assert db.session.scalar(select(Idea)) is None
    wrong_area = {**_form(agency, "Fine title"), "service_area": "moon", "csrf_token": token}
    assert client.post("/ideas/new", data=wrong_area).status_code == 422


def test_only_the_author_edits_and_only_before_screening(
    client: FlaskClient,
    login: Login,
    submit: Callable[..., Idea],
    make_user: Callable[..., User],
    moderator: User,
    author: User,
    agency: Any,
) -> None:
    idea = submit()
    other = make_user(Role.RESIDENT, verified=True)
    login(client, other)
    assert client.get(f"/ideas/{idea.id}/edit").status_code == 403
    assert audit_count("access.denied") == 1
    login(client, author)
    token = csrf_token(client, f"/ideas/{idea.id}/edit")
    data = {**_form(agency, "Edited title"), "csrf_token": token}
    assert client.post(f"/ideas/{idea.id}/edit", data=data).status_code == 303
    login(client, moderator)
    token = csrf_token(client, f"/ideas/{idea.id}/screen")
    assert client.post(f"/ideas/{idea.id}/accept", data={"csrf_token": token}).status_code == 303
    login(client, author)
    late = client.post(f"/ideas/{idea.id}/edit?lang=en", data={**data, "title": "Later"})
    assert late.status_code == 303
    db.session.expire_all()
    assert db.session.get(Idea, idea.id).title == "Edited title"


def test_screening_is_for_moderators(
    client: FlaskClient, login: Login, submit: Callable[..., Idea], author: User
) -> None:
    idea = submit()
    login(client, author)
    assert client.get("/ideas/screening").status_code == 403
    token = csrf_token(client, f"/ideas/{idea.id}")
    assert client.post(f"/ideas/{idea.id}/accept", data={"csrf_token": token}).status_code == 403
    db.session.expire_all()
    assert db.session.get(Idea, idea.id).status == IdeaStatus.SUBMITTED


def test_moderator_rejects_with_a_public_reason(
    client: FlaskClient, login: Login, submit: Callable[..., Idea], moderator: User
) -> None:
    idea = submit()
    login(client, moderator)
    queue = client.get("/ideas/screening?lang=en").get_data(as_text=True)
    assert idea.title in queue
    token = csrf_token(client, f"/ideas/{idea.id}/screen")
    missing = client.post(
        f"/ideas/{idea.id}/reject?lang=en", data={"csrf_token": token, "reason": "other"}
    )
    assert missing.status_code == 422
    assert "Explain the reason" in missing.get_data(as_text=True)
    response = client.post(
        f"/ideas/{idea.id}/reject", data={"csrf_token": token, "reason": "outside_remit"}
    )
    assert response.status_code == 303
    anonymous = client.application.test_client()
    page = anonymous.get(f"/ideas/{idea.id}?lang=en").get_data(as_text=True)
    assert "It is outside the remit of the municipality" in page


def test_unverified_resident_is_told_how_to_get_verified(
    client: FlaskClient,
    login: Login,
    voting_idea: Callable[..., Idea],
    make_user: Callable[..., User],
) -> None:
    idea = voting_idea()
    resident = make_user(Role.RESIDENT, verified=False)
    login(client, resident)
    token = csrf_token(client, f"/ideas/{idea.id}")
    response = client.post(f"/ideas/{idea.id}/vote?lang=en", data={"csrf_token": token})
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "Only verified residents can vote" in page
    assert 'href="/panels/verify"' in page
    db.session.expire_all()
    assert db.session.get(Idea, idea.id).ballot.tally == 0


def test_vote_follow_and_progress_on_the_page(
    client: FlaskClient, login: Login, voting_idea: Callable[..., Idea], author: User
) -> None:
    idea = voting_idea()
    login(client, author)
    token = csrf_token(client, f"/ideas/{idea.id}")
    assert client.post(f"/ideas/{idea.id}/vote", data={"csrf_token": token}).status_code == 303
    assert client.post(f"/ideas/{idea.id}/follow", data={"csrf_token": token}).status_code == 303
    page = client.get(f"/ideas/{idea.id}?lang=en").get_data(as_text=True)
    assert "1 of 3 votes needed (33%)" in page
    assert '<progress id="vote-progress" max="3" value="1">' in page
    assert "92 days left" in page
    assert "Withdraw my vote" in page and "Stop following" in page
    assert db.session.scalar(select(Follow).where(Follow.idea_id == idea.id)) is not None


def test_report_through_the_page(
    client: FlaskClient,
    login: Login,
    submit: Callable[..., Idea],
    make_user: Callable[..., User],
) -> None:
    idea = submit()
    reporter = make_user(Role.RESIDENT)
    login(client, reporter)
    token = csrf_token(client, f"/ideas/{idea.id}/report")
    done = client.post(
        f"/ideas/{idea.id}/report", data={"csrf_token": token, "reason": "Insulting"}
    )
    assert done.status_code == 303
    again = client.post(f"/ideas/{idea.id}/report?lang=en", data={"csrf_token": token})
    assert again.status_code == 422
    assert "already reported" in again.get_data(as_text=True)


def test_list_filters_and_pages(
    client: FlaskClient, submit: Callable[..., Idea], voting_idea: Callable[..., Idea]
) -> None:
    for n in range(21):
        submit(f"Idea number {n}", area="parken" if n % 2 else "afval")
    voting = voting_idea("Voting idea")
    first = client.get("/ideas/?lang=en").get_data(as_text=True)
    assert "Page 1 of 2 (22 in total)" in first
    only_voting = client.get("/ideas/?status=voting").get_data(as_text=True)
    assert voting.title in only_voting and "Idea number 3" not in only_voting
    parks = client.get("/ideas/?area=parken&lang=en").get_data(as_text=True)
    assert "Idea number 3" in parks and "Idea number 2<" not in parks


def test_pages_render_in_dutch(
    client: FlaskClient, voting_idea: Callable[..., Idea], login: Login, moderator: User
) -> None:
    idea = voting_idea()
    assert "Ideeën, nieuwste eerst" in client.get("/ideas/").get_data(as_text=True)
    page = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert "0 van 3 benodigde stemmen (0%)" in page and "Nog 92 dagen" in page
    login(client, moderator)
    assert "Te beoordelen ideeën" in client.get("/ideas/screening").get_data(as_text=True)
