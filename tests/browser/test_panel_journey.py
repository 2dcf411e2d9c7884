"""The whole panel path in a real browser: import a register (upload page) → create a panel →
send a wave → replies yes/no/defer by code and one by a clerk → draw with a seed → public
draw record → `python -m sortition verify` on the downloaded files reproduces the panel →
a meeting, a journey map, a recommendation adopted by the members' vote, in the agency's
inbox. axe-core checks every page on the way."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select

from civic.accounts.models import Role
from civic.extensions import db
from panels import draws, work
from panels.models import Invitation, InvitationStatus, Panel, RecommendationStatus
from proposals.models import OriginType, Proposal
from tests.panels.draw_support import link_account, say_yes, serving
from tests.panels.panel_support import adults, code_of, invitations, start_clock
from tests.panels.register_support import csv_bytes

PASSWORD = "correct horse battery"
SEED = "lotto 2026-03-28 4 8 15 16 23 42"


def _log_in(page: Any, axe: Any, email: str) -> None:
    page.goto("/account/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state("load")
    assert "/account/login" not in page.url
    axe.check(page)


def _submit(page: Any, form: str, axe: Any) -> None:
    page.locator(f"{form} button[type=submit]").first.click()
    page.wait_for_load_state("load")
    axe.check(page)


def _reply_by_code(page: Any, axe: Any, code: str, answer: str, **extra: str) -> None:
    page.goto("/reply")
    axe.check(page)
    page.fill("input[name=code]", code)
    _submit(page, "main form", axe)
    page.check(f"input[name=answer][value={answer}]")
    if answer == "yes":
        page.check("input[name=q_education][value=higher]")
        page.check("input[name=q_digital_skills][value=good]")
    if "defer_to" in extra:
        page.select_option("select[name=defer_to]", index=1)
    _submit(page, "main form", axe)
    assert "/reply/done" in page.url


def _import_and_create(page: Any, axe: Any, tmp_path: Path, agency: Any) -> int:
    register = tmp_path / "register.csv"
    register.write_bytes(csv_bytes(adults(40)))
    page.goto("/panels/register")
    axe.check(page)
    page.set_input_files("input[name=file]", str(register))
    _submit(page, "main form[enctype]", axe)
    assert "/panels/register/imports/" in page.url
    page.goto("/panels/manage/new")
    axe.check(page)
    page.check("input[name=topic_kind][value=life_event]")
    page.fill("input[name=title]", "Verhuizen")
    page.fill("textarea[name=description]", "Een verhuizing doorgeven en alles wat volgt.")
    page.select_option("select[name=agency_id]", str(agency.id))
    for name, value in (("size", "4"), ("term_months", "18"), ("rotation_months", "6"),
                        ("rotation_percent", "33"), ("rest_months", "24")):  # fmt: skip
        page.fill(f"input[name={name}]", value)
    _submit(page, "main form", axe)
    panel_id = int(page.url.rstrip("/").split("/")[-1])
    page.fill("input[name=feature]", "gender")
    page.fill("input[name=value]", "female")
    page.fill("input[name=min_count]", "2")
    page.fill("input[name=max_count]", "2")
    _submit(page, f"form[action$='/manage/{panel_id}/quotas']", axe)
    return panel_id


def _wave_and_replies(page: Any, axe: Any, panel_id: int) -> list[Invitation]:
    page.fill("input[name=seed]", "lotto 2026-03-01 1 2 3 4 5 6")
    page.fill("input[name=size]", "14")
    page.fill("input[name=reply_by]", "2026-03-23")
    _submit(page, f"form[action$='/manage/{panel_id}/waves']", axe)
    assert "/panels/waves/" in page.url
    page.goto(page.url + "/letters")
    axe.check(page)
    invited = invitations(db.session.get(Panel, panel_id) and _wave(panel_id))
    _reply_by_code(page, axe, code_of(invited[0]), "yes")
    _reply_by_code(page, axe, code_of(invited[1]), "no")
    _reply_by_code(page, axe, code_of(invited[2]), "deferred", defer_to="1")
    clerk = page.context.browser.new_context(base_url=page.url.split("/panels")[0], locale="nl-NL")
    desk = clerk.new_page()
    _log_in(desk, axe, "balie@example.org")
    desk.goto("/panels/clerk")
    axe.check(desk)
    desk.fill("input[name=code]", code_of(invited[3]))
    _submit(desk, "form[action$='/clerk/lookup']", axe)
    assert "/panels/clerk/invitations/" in desk.url
    page, main_page = desk, page
    page.check("input[name=answer][value=yes]")
    page.check("input[name=q_education][value=primary]")
    page.check("input[name=q_digital_skills][value=basic]")
    page.check("input[name=channel][value=phone]")
    _submit(page, "main form", axe)
    clerk.close()
    page = main_page
    db.session.expire_all()
    statuses = [db.session.get(Invitation, i.id).status for i in invited[:4]]
    assert statuses == [InvitationStatus.YES, InvitationStatus.NO, InvitationStatus.DEFERRED,
                        InvitationStatus.YES]  # fmt: skip
    for invitation in invited[4:]:  # the others say yes on the web as well
        say_yes(invitation, "vocational")
    db.session.commit()
    return invited


def _wave(panel_id: int) -> Any:
    from panels.models import Wave

    return db.session.scalar(select(Wave).where(Wave.panel_id == panel_id))


def _draw_and_verify(page: Any, axe: Any, panel_id: int, tmp_path: Path) -> list[str]:
    page.goto(f"/panels/manage/{panel_id}/draw")
    axe.check(page)
    _submit(page, "form[action$='/draw/prepare']", axe)
    _submit(page, "form[action$='/draw/publish']", axe)
    page.fill("input[name=seed]", SEED)
    _submit(page, "form[action$='/draw/seed']", axe)
    db.session.expire_all()
    panel = db.session.get(Panel, panel_id)
    draw = draws.current_draw(panel)
    assert draw is not None and draw.seed == SEED
    page.goto(f"/draws/{draw.id}")
    axe.check(page)
    command = page.locator("pre code").inner_text()
    for link in page.locator("main a[download]").all():
        href = link.get_attribute("href")
        name = href.rsplit("/", 1)[-1]
        (tmp_path / name).write_bytes(page.request.get(href).body())
    args = command.split()  # "python -m sortition verify ... --seed 'lotto ...' ..."
    seed_at = args.index("--seed")
    after = command.split("' ", 1)[1].split()
    argv = [*args[3:seed_at], "--seed", SEED, *after]
    done = subprocess.run([sys.executable, "-m", "sortition", *argv], cwd=tmp_path,
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stderr
    drawn = sorted(done.stdout.split())
    assert drawn == sorted(m.pseudonym for m in serving(panel)) == sorted(draw.selected or [])
    return drawn


def test_panel_from_register_to_agency_inbox(
    app: Flask, page: Any, axe: Any, browser: Any, live_server: Any, tmp_path: Path,
    make_user: Callable[..., Any], make_agency: Callable[..., Any],
) -> None:  # fmt: skip
    start_clock()
    make_user(Role.ADMIN, email="beheer@example.org")
    make_user(Role.CLERK, email="balie@example.org")
    agency = make_agency("Burgerzaken")
    _log_in(page, axe, "beheer@example.org")
    panel_id = _import_and_create(page, axe, tmp_path, agency)
    _wave_and_replies(page, axe, panel_id)
    _draw_and_verify(page, axe, panel_id, tmp_path)

    page.goto(f"/panels/manage/{panel_id}/work")
    axe.check(page)
    page.fill("input[name=starts_at]", "2026-04-01T19:00")
    page.fill("input[name=place]", "Stadhuis, zaal 2")
    page.fill("textarea[name=agenda]", "1. Kennismaken\n2. De reis in stappen")
    _submit(page, "form[action$='/meetings']", axe)
    for title in ("Verhuizing doorgeven", "Parkeervergunning aanvragen"):
        page.fill("form[action$='/steps'] input[name=title]", title)
        _submit(page, "form[action$='/steps']", axe)
    page.locator("form[action$='/attendance'] input[name=present]").first.check()
    _submit(page, "form[action$='/attendance']", axe)

    panel = db.session.get(Panel, panel_id)
    members = serving(panel)
    users = [make_user(Role.RESIDENT, email=f"lid{n}@example.org") for n in range(len(members))]
    for user, member in zip(users, members, strict=True):
        link_account(user, member)
    member_context = browser.new_context(base_url=live_server.url, locale="nl-NL")
    member_page = member_context.new_page()
    _log_in(member_page, axe, "lid0@example.org")
    member_page.goto(f"/panels/{panel_id}/work")
    axe.check(member_page)
    step_id = work.steps_of(panel)[0].id
    member_page.check(f"#score-{step_id}-2")
    member_page.fill(f"#pain-{step_id}", "Twee formulieren met dezelfde vragen")
    _submit(member_page, f"form[action$='/steps/{step_id}/rate']", axe)
    member_page.fill("#new-recommendation ~ form input[name=title]", "Eén formulier")
    member_page.fill(
        "#new-recommendation ~ form textarea[name=body]", "Voeg de twee formulieren samen."
    )
    member_page.select_option("#new-recommendation ~ form select[name=step_id]", str(step_id))
    _submit(member_page, "form[action$='/recommendations']", axe)
    rec = work.recommendations_of(panel)[0]

    page.goto(f"/panels/manage/{panel_id}/work")
    _submit(page, f"form[action$='/recommendations/{rec.id}/open-vote']", axe)
    member_page.goto(f"/panels/{panel_id}/work")
    member_page.check(f"#vote-{rec.id}-yes")
    _submit(member_page, f"form[action$='/recommendations/{rec.id}/vote']", axe)
    db.session.expire_all()
    rec = work.get_recommendation(rec.id)
    for user in users[1:3]:  # two more members vote by the same service
        work.cast(user, rec, "yes")
    db.session.commit()
    page.goto(f"/panels/manage/{panel_id}/work")
    _submit(page, f"form[action$='/recommendations/{rec.id}/close-vote']", axe)
    db.session.expire_all()
    assert work.get_recommendation(rec.id).status == RecommendationStatus.ADOPTED
    _submit(page, f"form[action$='/manage/{panel_id}/submit']", axe)

    db.session.expire_all()
    [proposal] = db.session.scalars(select(Proposal)).all()
    assert proposal.origin_type == OriginType.PANEL and proposal.agency_id == agency.id
    assert "Voeg de twee formulieren samen." in proposal.summary
    officer = make_user(Role.OFFICER, agency=agency, email="ambtenaar@example.org")
    assert officer.agency_id == agency.id
    officer_context = browser.new_context(base_url=live_server.url, locale="nl-NL")
    officer_page = officer_context.new_page()
    _log_in(officer_page, axe, "ambtenaar@example.org")
    officer_page.goto("/inbox/")
    axe.check(officer_page)
    assert officer_page.get_by_text("Verhuizen").count() >= 1

    page.context.clear_cookies()
    page.goto(f"/panels/{panel_id}")
    axe.check(page)
    body = page.locator("main").inner_text()
    assert "Eén formulier" in body and "Verhuizing doorgeven" in body
    member_context.close()
    officer_context.close()
    assert len(axe.checked) > 20
