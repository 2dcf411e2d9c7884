"""The whole co-creation loop in a real browser: an idea is submitted, accepted, voted on by
verified residents, reached at the deadline (the sweep runs on a moved clock), piloted with
testers drawn by lot from volunteers, evaluated, decided go and rolled out. A rejected idea
shows its reason in public. axe-core checks every page on the way."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select

from civic import clock
from civic.accounts.models import Role, User
from civic.accounts.passwords import hash_password
from civic.agencies.models import Agency
from civic.extensions import db
from proposals.models import Idea, Proposal
from proposals.pilot_models import Pilot, Tester
from voting.services import close_due_ballots

PASSWORD = "lange zin als wachtwoord 2026"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _people(app: Flask) -> dict[str, Any]:
    agency = Agency(name="Afdeling Afval", slug="afval", response_days=56, service_areas="afval")
    db.session.add(agency)
    db.session.flush()

    def user(name: str, role: Role = Role.RESIDENT, verified: bool = True) -> str:
        email = f"{name}@example.org"
        db.session.add(
            User(
                email=email,
                password_hash=hash_password(PASSWORD),
                role=role,
                agency_id=agency.id if role == Role.OFFICER else None,
                email_confirmed_at=clock.now(),
                verified_at=clock.now() if verified else None,
            )
        )
        return email

    people = {
        "author": user("auteur"),
        "moderator": user("moderator", Role.MODERATOR),
        "officer": user("ambtenaar", Role.OFFICER),
        "voters": [user(f"stemmer{i}") for i in range(2)],
        "volunteers": [user(f"vrijwilliger{i}") for i in range(3)],
    }
    db.session.commit()
    return people


def _login(page: Any, axe: Any, email: str) -> None:
    page.context.clear_cookies()
    page.goto("/account/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state("load")
    assert "/account/login" not in page.url, email
    axe.check(page)


def _click(page: Any, axe: Any, action_end: str) -> None:
    """Submit the form whose action ends with `action_end`, then check the page."""
    page.locator(f"main form[action$='{action_end}'] button[type=submit]").first.click()
    page.wait_for_load_state("load")
    axe.check(page)


def _submit_idea(page: Any, axe: Any, title: str) -> int:
    page.goto("/ideas/new")
    axe.check(page)
    page.fill("input[name=title]", title)
    page.fill("textarea[name=problem]", "Bins overflow every weekend.")
    page.fill("textarea[name=proposed_change]", "Empty the bins on Sunday evening too.")
    page.select_option("select[name=service_area]", "afval")
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_load_state("load")
    axe.check(page)
    if "/ideas/new" in page.url:  # similar ideas were shown first: submit anyway
        page.locator("main form button[type=submit]").last.click()
        page.wait_for_load_state("load")
        axe.check(page)
    return int(page.url.rstrip("/").split("/")[-1])


def _reach(app: Flask, page: Any, axe: Any, people: dict[str, Any]) -> int:
    _login(page, axe, people["author"])
    idea_id = _submit_idea(page, axe, "Sunday collection of park bins")
    rejected_id = _submit_idea(page, axe, "Ban all cars from the city today")

    _login(page, axe, people["moderator"])
    page.goto(f"/ideas/{idea_id}/screen")
    axe.check(page)
    _click(page, axe, f"/ideas/{idea_id}/accept")
    page.goto(f"/ideas/{rejected_id}/screen")
    page.check("input[name=reason][value=outside_remit]")
    page.fill("textarea[name=text]", "Traffic bans are decided by the province.")
    _click(page, axe, f"/ideas/{rejected_id}/reject")

    for voter in people["voters"]:
        _login(page, axe, voter)
        page.goto(f"/ideas/{idea_id}")
        axe.check(page)
        _click(page, axe, f"/ideas/{idea_id}/vote")

    clock.move(timedelta(days=32))  # past the one-month deadline; the scheduler is not running
    closed = close_due_ballots()
    db.session.commit()
    assert len(closed) == 1
    assert db.session.get(Idea, idea_id).status.value == "reached"

    page.context.clear_cookies()
    page.goto(f"/ideas/{rejected_id}")
    axe.check(page)
    assert "Traffic bans are decided by the province." in page.locator("main").inner_text()
    return idea_id


def _set_up_pilot(page: Any, axe: Any, people: dict[str, Any], proposal: Proposal) -> int:
    _login(page, axe, people["officer"])
    page.goto("/pilots/agency")
    axe.check(page)
    page.locator(f"a[href$='/pilots/new/{proposal.id}']").click()
    page.wait_for_load_state("load")
    axe.check(page)
    assert page.input_value("input[name=testers]") == "200"
    assert page.input_value("input[name=duration_weeks]") == "5"
    page.fill("input[name=testers]", "2")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state("load")
    axe.check(page)
    pilot_id = int(page.url.split("/pilots/")[1].split("/")[0])
    page.fill("textarea[name=statement]", "Testers find no overflowing bins on Monday morning")
    page.fill("input[name=target]", "at least 2 of 3 testers answer 'met'")
    _click(page, axe, f"/pilots/{pilot_id}/criteria")
    _click(page, axe, f"/pilots/{pilot_id}/recruit")
    return pilot_id


def _recruit_and_draw(page: Any, axe: Any, people: dict[str, Any], pilot_id: int) -> list[str]:
    for volunteer in people["volunteers"]:
        _login(page, axe, volunteer)
        page.goto(f"/pilots/{pilot_id}")
        axe.check(page)
        _click(page, axe, f"/pilots/{pilot_id}/volunteer")

    _login(page, axe, people["officer"])
    page.goto(f"/pilots/{pilot_id}/manage")
    axe.check(page)
    _click(page, axe, f"/pilots/{pilot_id}/prepare")
    _click(page, axe, f"/pilots/{pilot_id}/publish")
    draw_id = db.session.get(Pilot, pilot_id).draw_id
    page.goto(f"/draws/{draw_id}")
    axe.check(page)
    page.goto(f"/pilots/{pilot_id}/manage")
    page.fill("input[name=seed]", "Lotto 2026-04-04: 3 8 21 27 33 41")
    _click(page, axe, f"/pilots/{pilot_id}/seed")
    page.goto(f"/draws/{draw_id}")
    axe.check(page)
    assert "Lotto 2026-04-04" in page.locator("main").inner_text()
    db.session.expire_all()
    testers = db.session.scalars(select(Tester).where(Tester.pilot_id == pilot_id)).all()
    assert len(testers) == 2
    return [db.session.get(User, t.user_id).email for t in testers]


def _run_and_evaluate(page: Any, axe: Any, people: dict[str, Any], pilot_id: int) -> None:
    testers = _recruit_and_draw(page, axe, people, pilot_id)
    page.goto(f"/pilots/{pilot_id}/manage")
    _click(page, axe, f"/pilots/{pilot_id}/start")

    _login(page, axe, testers[0])
    page.goto(f"/pilots/{pilot_id}")
    page.fill("textarea[name=text]", "Monday morning: the bins were empty.")
    _click(page, axe, f"/pilots/{pilot_id}/feedback")

    clock.move(timedelta(weeks=5))
    _login(page, axe, people["officer"])
    page.goto(f"/pilots/{pilot_id}/manage")
    _click(page, axe, f"/pilots/{pilot_id}/end")

    for email in testers:
        _login(page, axe, email)
        page.goto(f"/pilots/{pilot_id}")
        axe.check(page)
        page.locator("main input[type=radio][value=met]").first.check()
        _click(page, axe, f"/pilots/{pilot_id}/evaluate")


def _decide_and_roll_out(page: Any, axe: Any, people: dict[str, Any], pilot_id: int) -> None:
    _login(page, axe, people["officer"])
    page.goto(f"/pilots/{pilot_id}/manage")
    axe.check(page)
    page.check("#outcome-go")
    page.locator("main input[type=radio][value=yes]").first.check()
    page.locator("main form[action$='/decide'] textarea").first.fill("Both testers found it met.")
    _click(page, axe, f"/pilots/{pilot_id}/decide")
    planned = (clock.local(clock.now()) + timedelta(days=30)).date().isoformat()
    page.fill("input[name=planned_for]", planned)
    _click(page, axe, f"/pilots/{pilot_id}/rollout")
    _click(page, axe, f"/pilots/{pilot_id}/rollout/done")


def test_idea_to_rollout(app: Flask, page: Any, axe: Any) -> None:
    clock.freeze(T0)
    app.config.update(IDEA_VOTE_THRESHOLD=2, IDEA_VOTE_MONTHS=1)
    people = _people(app)
    idea_id = _reach(app, page, axe, people)
    proposal = db.session.scalar(select(Proposal).where(Proposal.origin_id == idea_id))
    assert proposal is not None

    pilot_id = _set_up_pilot(page, axe, people, proposal)
    _run_and_evaluate(page, axe, people, pilot_id)
    _decide_and_roll_out(page, axe, people, pilot_id)

    page.context.clear_cookies()
    page.goto(f"/pilots/{pilot_id}")
    axe.check(page)
    db.session.expire_all()
    assert db.session.get(Pilot, pilot_id).status.value == "rolled_out"
    text = page.locator("main").inner_text()
    assert "Both testers found it met." in text
    page.goto(f"/ideas/{idea_id}")
    axe.check(page)
    page.goto("/pilots/")
    axe.check(page)
    page.goto("/draws/")
    axe.check(page)
