"""No personal data in the draw and pilot endpoints: the dashboard world's planted secrets
plus tester volunteers' names and e-mail addresses, feedback texts and evaluation comments."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from civic.accounts.models import User
from civic.extensions import db
from panels.models import RegisterPerson
from tests.api.draw_world import COMMENT_SECRET, FEEDBACK_SECRET, TESTER_NAMES, seed_draw_world
from tests.dashboard.support import PRIVATE_NAMES, SECRET_EMAILS

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


def _bodies(client: FlaskClient) -> list[str]:
    bodies = []
    for name in ("draws", "pilots", "panels"):
        listing = client.get(f"/api/v1/{name}?limit=100")
        assert listing.status_code == 200
        bodies.append(listing.get_data(as_text=True))
        for item in listing.get_json()["items"]:
            one = client.get(f"/api/v1/{name}/{item['id']}")
            assert one.status_code == 200
            bodies.append(one.get_data(as_text=True))
    return bodies


def test_no_personal_data_in_draws_and_pilots(client: FlaskClient, app: Flask) -> None:
    dw = seed_draw_world(app)
    secrets = {*SECRET_EMAILS, *PRIVATE_NAMES, *TESTER_NAMES, FEEDBACK_SECRET, COMMENT_SECRET}
    secrets |= {"Tessa Geheim"}
    for user in db.session.scalars(db.select(User)):
        secrets.add(user.email)
        if user.display_name and user.display_name != user.public_name:
            secrets.add(user.display_name)
    for person in db.session.scalars(db.select(RegisterPerson)):
        secrets |= {person.register_key, person.household_key}
    secrets |= set(dw.world.register_keys)
    bodies = _bodies(client)
    everything = "\n".join(bodies)
    leaked = sorted(s for s in secrets if s in everything)
    assert not leaked, leaked
    assert not EMAIL.findall(everything)
    assert len(bodies) == 3 + 4 + 3 + 1
    assert '"user_id"' not in everything and '"tester_id"' not in everything
    assert "comment" not in everything.lower() and "feedback" not in everything.lower()
