"""Pilot pages: officers act only on their own agency's pilots (others get an audited 404)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient

from civic.accounts.models import Role, User
from civic.extensions import db
from proposals import pilots
from proposals.inbox import create_proposal
from proposals.models import OriginType
from tests.proposals.support import audit_count
from tests.support import csrf_token


def _pilot(agency: Any, officer: User) -> Any:
    proposal = create_proposal(
        OriginType.PANEL, 9, agency=agency, title="Night bus", summary="A bus.", actor="test"
    )
    pilot = pilots.setup_pilot(officer, proposal, pilots.PilotData("Night bus", "", 5, 5))
    db.session.commit()
    return pilot


def test_other_agencies_and_residents_are_refused(
    agency: Any,
    client: FlaskClient,
    login: Callable[..., None],
    make_user: Callable[..., User],
    make_agency: Callable[..., Any],
) -> None:
    own = make_user(Role.OFFICER, agency=agency)
    pilot = _pilot(agency, own)
    other = make_user(Role.OFFICER, agency=make_agency("Afdeling Verkeer", service_areas="wegen"))
    login(client, other)
    assert client.get(f"/pilots/{pilot.id}/manage").status_code == 404
    token = csrf_token(client, f"/pilots/{pilot.id}")
    response = client.post(f"/pilots/{pilot.id}/recruit", data={"csrf_token": token})
    assert response.status_code == 404
    assert audit_count("access.denied") == 2
    resident = make_user(Role.RESIDENT, verified=True)
    login(client, resident)
    assert client.get(f"/pilots/{pilot.id}/manage").status_code == 403
    assert audit_count("pilot.recruiting") == 0


def test_officer_sets_up_and_errors_are_specific(
    agency: Any, client: FlaskClient, login: Callable[..., None], make_user: Callable[..., User]
) -> None:
    officer = make_user(Role.OFFICER, agency=agency)
    proposal = create_proposal(
        OriginType.PANEL, 3, agency=agency, title="Bins", summary="More bins.", actor="test"
    )
    db.session.commit()
    login(client, officer)
    url = f"/pilots/new/{proposal.id}"
    page = client.get(url).get_data(as_text=True)
    assert 'value="200"' in page and 'value="5"' in page  # the defaults
    token = csrf_token(client, url)
    bad = {"csrf_token": token, "title": "Bins", "testers": "0", "duration_weeks": "5"}
    response = client.post(url, data=bad)
    assert response.status_code == 422
    assert "tussen 1 en 10.000" in response.get_data(as_text=True)  # Dutch by default
    good = {**bad, "testers": "50"}
    response = client.post(url, data=good)
    assert response.status_code == 303
    manage = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Criterium toevoegen" in manage
    assert client.get("/pilots/").status_code == 200
