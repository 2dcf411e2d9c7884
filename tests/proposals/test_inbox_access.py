"""Every inbox route over HTTP: an officer of agency B can neither see nor answer agency A's
items (404, audit-logged); residents are refused; CSRF is required; the answer flow works."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from civic.accounts.models import User
from civic.audit.models import AuditEntry
from civic.extensions import db
from proposals import answers, inbox
from proposals.models import AnswerKind, Idea
from tests.proposals.inbox_support import officer_of, reach
from tests.proposals.support import audit_count
from tests.support import csrf_token


@pytest.fixture()
def setup(
    voting_idea: Callable[..., Idea],
    residents: Callable[..., list[User]],
    make_user: Callable[..., User],
    make_agency: Callable[..., Any],
    agency: Any,
) -> Any:
    reached = reach(voting_idea, residents)
    other = make_agency("Afdeling Verkeer", service_areas="verkeer")
    return {
        "reached": reached,
        "officer_a": officer_of(make_user, agency),
        "colleague_a": officer_of(make_user, agency),
        "officer_b": officer_of(make_user, other),
    }


def _routes(pid: int, colleague: User) -> list[tuple[str, str, dict[str, str]]]:
    answer = {"kind": "adopted", "summary": "Yes", "explanation": "We do it."}
    step = {"status": "in_progress", "percent": "10", "milestone": "M", "on_date": "2026-06-01"}
    return [
        ("GET", f"/inbox/{pid}", {}),
        ("POST", f"/inbox/{pid}/assign", {"assignee": str(colleague.id)}),
        ("POST", f"/inbox/{pid}/notes", {"body": "Secret remark"}),
        ("POST", f"/inbox/{pid}/answer", answer),
        ("POST", f"/inbox/{pid}/publish", {}),
        ("POST", f"/inbox/{pid}/progress", step),
    ]


def test_officer_of_another_agency_gets_404_on_every_route_and_it_is_logged(
    setup: Any, client: FlaskClient, login: Callable[..., None]
) -> None:
    proposal = setup["reached"].proposal
    login(client, setup["officer_b"])
    token = csrf_token(client, "/inbox/")
    listing = client.get("/inbox/").get_data(as_text=True)
    assert proposal.title not in listing
    routes = _routes(proposal.id, setup["colleague_a"])
    for method, url, data in routes:
        response = client.open(url, method=method, data={**data, "csrf_token": token})
        assert response.status_code == 404, (method, url)
    denied = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "access.denied").order_by(AuditEntry.seq)
    ).all()
    assert len(denied) == len(routes)
    assert all(f"proposal:{proposal.id}" in (e.after or "") for e in denied)
    assert all(e.actor_id == setup["officer_b"].id for e in denied)
    db.session.expire_all()
    assert proposal.assignee_id is None
    assert inbox.notes(proposal) == [] and answers.draft_of(proposal) is None
    # A missing item is refused and logged the same way.
    assert client.get("/inbox/999").status_code == 404
    assert audit_count("access.denied") == len(routes) + 1


def test_residents_are_refused_and_visitors_sent_to_log_in(
    setup: Any, client: FlaskClient, login: Callable[..., None]
) -> None:
    pid = setup["reached"].proposal.id
    assert client.get("/inbox/").status_code == 302
    assert client.get(f"/inbox/{pid}").status_code == 302
    login(client, setup["reached"].voters[0])
    assert client.get("/inbox/").status_code == 403
    assert client.get(f"/inbox/{pid}").status_code == 403
    assert audit_count("access.denied") == 2


def test_post_without_csrf_is_refused(
    setup: Any, client: FlaskClient, login: Callable[..., None]
) -> None:
    pid = setup["reached"].proposal.id
    login(client, setup["officer_a"])
    response = client.post(f"/inbox/{pid}/notes", data={"body": "No token"})
    assert response.status_code == 400
    assert inbox.notes(setup["reached"].proposal) == []


def test_officer_answers_through_the_inbox_and_notes_stay_private(
    setup: Any, client: FlaskClient, login: Callable[..., None], make_user: Callable[..., User]
) -> None:
    proposal = setup["reached"].proposal
    pid, slug = proposal.id, proposal.agency.slug
    login(client, setup["officer_a"])
    listing = client.get("/inbox/?sort=newest&status=open").get_data(as_text=True)
    assert proposal.title in listing
    token = csrf_token(client, f"/inbox/{pid}")

    client.post(f"/inbox/{pid}/notes", data={"body": "Secret remark", "csrf_token": token})
    client.post(
        f"/inbox/{pid}/assign",
        data={"assignee": str(setup["colleague_a"].id), "csrf_token": token},
    )
    stranger = officer_of(make_user, None)
    wrong = client.post(
        f"/inbox/{pid}/assign", data={"assignee": str(stranger.id), "csrf_token": token}
    )
    assert wrong.status_code == 422
    assert "Kies een medewerker van deze organisatie." in wrong.get_data(as_text=True)

    refused = client.post(
        f"/inbox/{pid}/answer",
        data={
            "kind": "rejected",
            "summary": "No",
            "explanation": "Too costly.",
            "csrf_token": token,
        },
    )
    assert refused.status_code == 422
    assert "Geef de reden" in refused.get_data(as_text=True)
    saved = client.post(
        f"/inbox/{pid}/answer",
        data={
            "kind": "rejected",
            "summary": "No",
            "explanation": "Too costly.",
            "reason": "The budget for 2026 is spent.",
            "csrf_token": token,
        },
    )
    assert saved.status_code == 303
    public_url = f"/agencies/{slug}/proposals/{pid}"
    assert "Too costly." not in client.get(public_url).get_data(as_text=True)  # only a draft
    assert client.post(f"/inbox/{pid}/publish", data={"csrf_token": token}).status_code == 303

    public = client.get(public_url).get_data(as_text=True)
    assert "Too costly." in public and "The budget for 2026 is spent." in public
    agency_page = client.get(f"/agencies/{slug}").get_data(as_text=True)
    for page in (public, agency_page):
        assert "Secret remark" not in page
    idea_page = client.get(f"/ideas/{setup['reached'].idea.id}").get_data(as_text=True)
    assert "De organisatie antwoordde (versie 1): Afgewezen. No" in idea_page
    assert audit_count("proposal.note_added") == 1
    assert audit_count("proposal.assigned") == 1
    assert audit_count("proposal.answer_published") == 1


def test_voter_rates_on_the_public_page_once(
    setup: Any, client: FlaskClient, login: Callable[..., None]
) -> None:
    proposal = setup["reached"].proposal
    answers.save_draft(
        setup["officer_a"], proposal, answers.AnswerData(AnswerKind.ADOPTED, "Yes", "Ok")
    )
    answers.publish(setup["officer_a"], proposal)
    db.session.commit()
    url = f"/agencies/{proposal.agency.slug}/proposals/{proposal.id}"
    login(client, setup["reached"].voters[0])
    token = csrf_token(client, url)
    response = client.post(f"{url}/rate", data={"score": "4", "csrf_token": token})
    assert response.status_code == 303
    page = client.get(url).get_data(as_text=True)
    assert "U gaf dit antwoord 4 van 5." in page
    again = client.post(f"{url}/rate", data={"score": "5", "csrf_token": token})
    assert again.status_code == 409
    assert answers.rating_summary(proposal) == (4.0, 1)
