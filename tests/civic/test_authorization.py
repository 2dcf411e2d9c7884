"""Server-side authorization: every role is refused where it does not belong, per route and
per object, and every refusal is written to the audit log."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from civic.accounts.models import Role
from tests.civic.account_support import audit_rows, post

Factory = Callable[..., Any]
ADMIN_PAGES = ["/admin/", "/admin/users", "/admin/agencies", "/admin/audit", "/admin/agencies/new"]


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.MODERATOR, Role.CLERK, Role.OFFICER])
@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_pages_refuse_other_roles_and_log_it(
    client: FlaskClient,
    make_user: Factory,
    make_agency: Factory,
    login: Any,
    role: Role,
    path: str,
) -> None:
    agency = make_agency() if role == Role.OFFICER else None
    user = make_user(role, agency=agency)
    login(client, user)
    answer = client.get(path)
    assert answer.status_code == 403
    (entry,) = audit_rows("access.denied")
    assert entry.actor_id == user.id
    assert f'"path":"{path}"' in entry.after and '"method":"GET"' in entry.after


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.MODERATOR, Role.CLERK, Role.OFFICER])
def test_role_change_by_non_admin_is_refused_and_logged(
    client: FlaskClient, make_user: Factory, login: Any, app: Flask, role: Role
) -> None:
    victim = make_user()
    user = make_user(role)
    login(client, user)
    answer = post(client, f"/admin/users/{victim.id}/role", {"role": "admin"}, "/account/")
    assert answer.status_code == 403
    assert audit_rows("user.role_changed") == []
    assert len(audit_rows("access.denied")) == 1


def test_anonymous_visitors_are_sent_to_log_in(client: FlaskClient) -> None:
    for path in ["/admin/users", "/admin/agencies/1", "/account/"]:
        answer = client.get(path)
        assert answer.status_code == 302
        assert answer.headers["Location"].startswith("/account/login?next=")


def test_officer_sees_only_their_own_agency(
    client: FlaskClient, make_user: Factory, make_agency: Factory, login: Any
) -> None:
    agency_a = make_agency("Afdeling Afval", slug="afval")
    agency_b = make_agency("Afdeling Parkeren", slug="parkeren")
    colleague = make_user(Role.OFFICER, agency=agency_a, email="colleague@example.org")
    officer_b = make_user(Role.OFFICER, agency=agency_b)
    login(client, officer_b)
    refused = client.get(f"/admin/agencies/{agency_a.id}")
    assert refused.status_code == 404
    assert "colleague@example.org" not in refused.get_data(as_text=True)
    (entry,) = audit_rows("access.denied")
    assert entry.actor_id == officer_b.id
    assert f'"target":"agency:{agency_a.id}"' in entry.after
    own = client.get(f"/admin/agencies/{agency_b.id}")
    assert own.status_code == 200
    assert officer_b.email in own.get_data(as_text=True)
    login(client, colleague)
    assert "colleague@example.org" in client.get(f"/admin/agencies/{agency_a.id}").get_data(
        as_text=True
    )


def test_missing_agency_looks_like_a_foreign_one(
    client: FlaskClient, make_user: Factory, make_agency: Factory, login: Any
) -> None:
    officer = make_user(Role.OFFICER, agency=make_agency())
    login(client, officer)
    assert client.get("/admin/agencies/9999").status_code == 404
    assert len(audit_rows("access.denied")) == 1


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.MODERATOR, Role.CLERK])
def test_agency_page_refuses_non_officers(
    client: FlaskClient, make_user: Factory, make_agency: Factory, login: Any, role: Role
) -> None:
    agency = make_agency()
    user = make_user(role)
    login(client, user)
    assert client.get(f"/admin/agencies/{agency.id}").status_code == 403
    (entry,) = audit_rows("access.denied")
    assert entry.actor_id == user.id


def test_admin_sees_every_agency_and_can_edit(
    client: FlaskClient, make_user: Factory, make_agency: Factory, login: Any
) -> None:
    agency = make_agency()
    login(client, make_user(Role.ADMIN))
    page = client.get(f"/admin/agencies/{agency.id}").get_data(as_text=True)
    assert agency.name in page and f"/admin/agencies/{agency.id}/edit" in page
    assert audit_rows("access.denied") == []


def test_deactivated_users_session_is_refused(
    client: FlaskClient, make_user: Factory, login: Any
) -> None:
    from civic.extensions import db

    user = make_user()
    login(client, user)
    user.active = False
    db.session.commit()
    assert client.get("/account/").status_code == 302
