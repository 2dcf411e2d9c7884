"""The admin area: users and roles, last-admin protection, agencies, the audit viewer."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, select, text

from civic.accounts.models import LoginSession, Role, User
from civic.agencies.models import Agency
from civic.extensions import db
from tests.civic.account_support import audit_rows, post

Factory = Callable[..., Any]


def _admin(client: FlaskClient, make_user: Factory, login: Any) -> User:
    admin = make_user(Role.ADMIN, email="admin@example.org")
    login(client, admin)
    return admin


def _reload(user_id: int) -> User:
    db.session.expire_all()
    user = db.session.get(User, user_id)
    assert user is not None
    return user


def test_users_list_search_and_pages(client: FlaskClient, make_user: Factory, login: Any) -> None:
    _admin(client, make_user, login)
    for n in range(30):
        make_user(email=f"resident{n:02d}@example.org")
    make_user(Role.CLERK, email="clerk@example.org")
    first = client.get("/admin/users").get_data(as_text=True)
    assert "admin@example.org" in first and "resident29@example.org" not in first
    assert "Pagina 1 van 2" in first
    second = client.get("/admin/users?page=2").get_data(as_text=True)
    assert "resident29@example.org" in second
    found = client.get("/admin/users?q=RESIDENT07").get_data(as_text=True)
    assert "resident07@example.org" in found and "resident08@example.org" not in found
    clerks = client.get("/admin/users?role=clerk").get_data(as_text=True)
    assert "clerk@example.org" in clerks and "resident01@example.org" not in clerks


def test_role_change_is_audited_before_and_after(
    client: FlaskClient, make_user: Factory, make_agency: Factory, login: Any
) -> None:
    _admin(client, make_user, login)
    agency = make_agency("Afdeling Afval")
    user = make_user()
    page = f"/admin/users/{user.id}"
    answer = post(client, f"{page}/role", {"role": "officer", "agency": str(agency.id)}, page)
    assert answer.status_code == 302
    changed = _reload(user.id)
    assert changed.role == Role.OFFICER and changed.agency_id == agency.id
    (entry,) = audit_rows("user.role_changed")
    assert entry.before == '{"agency_id":null,"role":"resident"}'
    assert entry.after == f'{{"agency_id":{agency.id},"role":"officer"}}'
    assert entry.object_type == "User" and entry.object_id == str(user.id)
    # Another role drops the agency.
    post(client, f"{page}/role", {"role": "moderator", "agency": str(agency.id)}, page)
    assert _reload(user.id).agency_id is None


def test_officer_without_agency_is_refused_with_a_clear_message(
    client: FlaskClient, make_user: Factory, login: Any
) -> None:
    _admin(client, make_user, login)
    user = make_user()
    page = f"/admin/users/{user.id}"
    answer = post(client, f"{page}/role", {"role": "officer", "agency": ""}, page)
    assert answer.status_code == 422
    assert "Een medewerker van een afdeling hoort bij een afdeling." in answer.get_data(
        as_text=True
    )
    assert _reload(user.id).role == Role.RESIDENT
    assert audit_rows("user.role_changed") == []


def test_last_admin_cannot_be_demoted_or_deactivated(
    client: FlaskClient, make_user: Factory, login: Any, app: Flask
) -> None:
    admin = _admin(client, make_user, login)
    page = f"/admin/users/{admin.id}"
    demote = post(client, f"{page}/role", {"role": "resident", "agency": ""}, page)
    assert demote.status_code == 409
    assert _reload(admin.id).role == Role.ADMIN
    second = make_user(Role.ADMIN, email="second@example.org")
    other = app.test_client()
    login(other, second)
    off = post(other, f"{page}/active", {"active": "0"}, f"/admin/users/{second.id}")
    assert off.status_code == 302
    assert _reload(admin.id).active is False
    # Now `second` is the last active administrator: nobody may demote or deactivate them.
    own = f"/admin/users/{second.id}"
    assert post(other, f"{own}/role", {"role": "clerk", "agency": ""}, own).status_code == 409
    assert _reload(second.id).role == Role.ADMIN
    assert audit_rows("user.deactivated")[0].object_id == str(admin.id)


def test_two_admins_demoting_each_other_at_once_leave_one(make_user: Factory, app: Flask) -> None:
    """Forced interleaving: A has checked and written (not committed) when B sends its first
    UPDATE of user_account; only then does A commit. With the lock, B's count comes after that
    UPDATE and sees A's change; without it, B would have counted stale rows before."""
    from civic.accounts import administration

    one, two = make_user(Role.ADMIN), make_user(Role.ADMIN)
    a_wrote, b_updating = threading.Event(), threading.Event()
    results: dict[str, str] = {}

    def spot_b_update(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if threading.current_thread().name == "b" and statement.startswith("UPDATE user_account"):
            b_updating.set()

    def demote(me: int, them: int) -> None:
        name = threading.current_thread().name
        # A request context, as in the admin view (the refusal's message needs a locale).
        with app.test_request_context():
            try:
                if name == "b":
                    a_wrote.wait()
                actor, target = db.session.get(User, me), db.session.get(User, them)
                administration.change_role(actor, target, Role.RESIDENT, None)
                if name == "a":
                    a_wrote.set()
                    b_updating.wait()
                db.session.commit()
                results[name] = "ok"
            except Exception as error:  # noqa: BLE001
                db.session.rollback()
                results[name] = type(error).__name__
                a_wrote.set()
                b_updating.set()
            finally:
                db.session.remove()

    event.listen(db.engine, "before_cursor_execute", spot_b_update)
    try:
        threads = [
            threading.Thread(target=demote, args=(one.id, two.id), name="a"),
            threading.Thread(target=demote, args=(two.id, one.id), name="b"),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        event.remove(db.engine, "before_cursor_execute", spot_b_update)
    assert results == {"a": "ok", "b": "Conflict"}
    db.session.expire_all()
    admins = db.session.scalar(
        select(func.count()).select_from(User).where(User.role == Role.ADMIN)
    )
    assert admins == 1


def test_deactivation_ends_sessions(
    client: FlaskClient, make_user: Factory, login: Any, app: Flask
) -> None:
    _admin(client, make_user, login)
    user = make_user()
    theirs = app.test_client()
    login(theirs, user)
    assert theirs.get("/account/").status_code == 200
    page = f"/admin/users/{user.id}"
    assert post(client, f"{page}/active", {"active": "0"}, page).status_code == 302
    assert theirs.get("/account/").status_code == 302
    assert (
        db.session.scalar(
            select(func.count()).select_from(LoginSession).where(LoginSession.user_id == user.id)
        )
        == 0
    )
    (entry,) = audit_rows("user.deactivated")
    assert '"sessions_ended":1' in entry.after
    assert post(client, f"{page}/active", {"active": "1"}, page).status_code == 302
    assert _reload(user.id).active is True


def test_create_and_edit_agency(client: FlaskClient, make_user: Factory, login: Any) -> None:
    _admin(client, make_user, login)
    created = post(
        client,
        "/admin/agencies/new",
        {
            "name": "  Stadsbeheer ",
            "slug": "stadsbeheer",
            "service_areas": "Afval\nGroen, parken\n",
            "response_days": "56",
            "lead_email": "",
        },
    )
    assert created.status_code == 422
    assert "geen komma's: Groen, parken" in created.get_data(as_text=True).replace("&#39;", "'")
    created = post(
        client,
        "/admin/agencies/new",
        {
            "name": "  Stadsbeheer ",
            "slug": "stadsbeheer",
            "service_areas": "Afval\n  Groen   en parken \nafval\n\n",
            "response_days": "42",
            "lead_email": "Lead@Example.org",
        },
    )
    assert created.status_code == 302
    agency = db.session.scalar(select(Agency).where(Agency.slug == "stadsbeheer"))
    assert agency is not None
    assert agency.name == "Stadsbeheer"
    assert agency.service_area_list == ["Afval", "Groen en parken"]
    assert (agency.response_days, agency.lead_email) == (42, "lead@example.org")
    (entry,) = audit_rows("agency.created")
    assert '"response_days":42' in entry.after

    edit = f"/admin/agencies/{agency.id}/edit"
    assert "Groen en parken" in client.get(edit).get_data(as_text=True)
    bad_slug = post(
        client, edit, {"name": "Stadsbeheer", "slug": "Stads beheer!", "response_days": "42"}
    )
    assert bad_slug.status_code == 422
    ok = post(
        client,
        edit,
        {"name": "Stadsbeheer", "slug": "beheer", "service_areas": "Afval", "response_days": "30"},
    )
    assert ok.status_code == 302
    (changed,) = audit_rows("agency.changed")
    assert '"slug":"stadsbeheer"' in changed.before and '"slug":"beheer"' in changed.after


def test_agency_slug_and_name_are_unique(
    client: FlaskClient, make_user: Factory, make_agency: Factory, login: Any
) -> None:
    _admin(client, make_user, login)
    make_agency("Afdeling Afval", slug="afval")
    for data in (
        {"name": "Iets anders", "slug": "afval"},
        {"name": "afdeling afval", "slug": "nieuw"},
    ):
        answer = post(client, "/admin/agencies/new", {**data, "response_days": "56"})
        assert answer.status_code == 422
    days = post(client, "/admin/agencies/new", {"name": "X", "slug": "x", "response_days": "0"})
    assert days.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Agency)) == 1


def test_audit_viewer_filters_and_chain_status(
    client: FlaskClient, make_user: Factory, make_agency: Factory, login: Any
) -> None:
    _admin(client, make_user, login)
    user = make_user()
    agency = make_agency()
    page = f"/admin/users/{user.id}"
    post(client, f"{page}/role", {"role": "officer", "agency": str(agency.id)}, page)
    post(client, f"{page}/role", {"role": "clerk", "agency": ""}, page)
    html = client.get("/admin/audit?action=user.role_changed").get_data(as_text=True)
    assert html.count("user.role_changed") >= 3  # two rows plus the selected option
    assert "Het logboek is in orde" in html
    only = client.get(f"/admin/audit?object_type=User&object_id={user.id}").get_data(as_text=True)
    assert "clerk" in only
    none = client.get("/admin/audit?object_type=Agency&object_id=999").get_data(as_text=True)
    assert "user.role_changed</td>" not in none


def test_audit_viewer_names_a_broken_row(
    client: FlaskClient, make_user: Factory, make_agency: Factory, login: Any
) -> None:
    _admin(client, make_user, login)
    user = make_user()
    page = f"/admin/users/{user.id}"
    post(client, f"{page}/role", {"role": "clerk", "agency": ""}, page)
    (entry,) = audit_rows("user.role_changed")
    if db.engine.dialect.name == "sqlite":
        db.session.execute(text("DROP TRIGGER audit_entry_no_update"))
    else:
        db.session.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_no_change"))
    db.session.execute(
        text("UPDATE audit_entry SET after = :a WHERE seq = :s"),
        {"a": '{"role":"admin"}', "s": entry.seq},
    )
    db.session.commit()
    html = client.get("/admin/audit").get_data(as_text=True)
    assert f"Regel {entry.seq} past niet in de keten" in html
    assert "Het logboek is beschadigd" in html
