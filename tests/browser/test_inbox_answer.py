"""An officer answers a proposal in a real browser: rejecting without a reason is refused
with a clear message, rejecting with a reason is published, a revision follows, and the
public page keeps the first answer in the history. axe-core checks every page."""

from __future__ import annotations

from typing import Any

from flask import Flask

from civic.accounts.models import Role
from civic.extensions import db
from proposals.inbox import create_proposal
from proposals.models import OriginType

PASSWORD = "lange zin als wachtwoord 2026"


def _log_in(page: Any, email: str) -> None:
    page.goto("/account/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state("load")
    assert "/account/login" not in page.url


def _answer(page: Any, kind: str, summary: str, explanation: str, reason: str) -> None:
    page.check(f"input[name=kind][value={kind}]")
    page.fill("input[name=summary]", summary)
    page.fill("textarea[name=explanation]", explanation)
    page.fill("textarea[name=reason]", reason)
    page.get_by_role("button", name="Concept opslaan").click()
    page.wait_for_load_state("load")


def test_officer_rejects_with_a_reason_then_revises(
    app: Flask, page: Any, axe: Any, make_agency: Any, make_user: Any
) -> None:
    agency = make_agency("Afdeling Afval", slug="afval")
    officer = make_user(
        Role.OFFICER, agency=agency, email="ambtenaar@example.org", password=PASSWORD
    )
    officer.display_name = "Ambtenaar Afval"
    proposal = create_proposal(
        OriginType.PANEL,
        1,
        agency=agency,
        title="Meer afvalbakken in het park",
        summary="Het panel adviseert tien extra afvalbakken.",
        actor=None,
    )
    db.session.commit()
    pid = proposal.id

    _log_in(page, "ambtenaar@example.org")
    page.goto("/inbox/")
    axe.check(page)
    page.get_by_role("link", name="Meer afvalbakken in het park").click()
    page.wait_for_load_state("load")
    axe.check(page)

    _answer(page, "rejected", "Nu niet", "Het budget is op.", "")
    summary = page.locator(".error-summary")
    assert summary.is_visible()
    assert "Geef de reden" in summary.inner_text()
    axe.check(page)

    _answer(page, "rejected", "Nu niet", "Het budget is op.", "Het budget voor 2026 is besteed.")
    assert "Concept (niet openbaar)" in page.content()
    page.get_by_role("button", name="Dit antwoord publiceren").click()
    page.wait_for_load_state("load")
    assert "Het antwoord is gepubliceerd." in page.content()
    axe.check(page)

    _answer(page, "adopted_in_part", "Vijf bakken", "We plaatsen er vijf.", "Meer past niet.")
    page.get_by_role("button", name="Dit antwoord publiceren").click()
    page.wait_for_load_state("load")

    page.goto(f"/agencies/afval/proposals/{pid}")
    axe.check(page)
    text = page.locator("main").inner_text()
    assert "Huidig antwoord (versie 2): Gedeeltelijk overgenomen" in text
    assert "Eerder antwoord (versie 1): Afgewezen" in text
    assert "Het budget voor 2026 is besteed." in text
    assert text.index("versie 2") < text.index("versie 1")
    page.goto("/agencies/afval")
    axe.check(page)
