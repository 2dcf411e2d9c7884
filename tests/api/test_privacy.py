"""No personal data in open data: every API response and every CSV download is searched for
the e-mail addresses, private names, register and household keys seeded on purpose."""

from __future__ import annotations

import csv
import io
import re

from flask.testing import FlaskClient

from civic.accounts.models import User
from civic.extensions import db
from panels.models import RegisterPerson
from tests.dashboard.support import PRIVATE_NAMES, PUBLIC_NAME, SECRET_EMAILS, World

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


def _api_bodies(client: FlaskClient) -> list[str]:
    """Every collection page and every object of the API."""
    bodies = []
    for name in ("ideas", "ballots", "proposals", "panels", "agencies"):
        listing = client.get(f"/api/v1/{name}?limit=100")
        assert listing.status_code == 200
        bodies.append(listing.get_data(as_text=True))
        for item in listing.get_json()["items"]:
            one = client.get(f"/api/v1/{name}/{item['id']}")
            assert one.status_code == 200
            bodies.append(one.get_data(as_text=True))
    return bodies


def _csv_bodies(client: FlaskClient, world: World) -> list[str]:
    urls = [f"/dashboard/{n}.csv" for n in ("funnel", "votes", "agencies", "pilots")]
    urls += [f"/dashboard/panels/{world.panel.id}/{f}.csv" for f in ("gender", "age", "area")]
    bodies = []
    for url in urls:
        response = client.get(url + "?lang=en")
        assert response.status_code == 200, url
        bodies.append(response.get_data(as_text=True))
    return bodies


def test_no_personal_data_in_api_or_csv(client: FlaskClient, world: World) -> None:
    secrets = set(SECRET_EMAILS) | set(PRIVATE_NAMES)
    for user in db.session.scalars(db.select(User)):
        secrets.add(user.email)
        if user.display_name and user.display_name != user.public_name:
            secrets.add(user.display_name)
    for person in db.session.scalars(db.select(RegisterPerson)):
        secrets |= {person.register_key, person.household_key}
    secrets |= set(world.register_keys)
    bodies = _api_bodies(client) + _csv_bodies(client, world)
    everything = "\n".join(bodies)
    assert PUBLIC_NAME in everything  # the one name its owner chose to show
    leaked = sorted(s for s in secrets if s in everything)
    assert not leaked, leaked
    assert not EMAIL.findall(everything)
    assert len(bodies) > 20


def test_csv_cells_cannot_run_as_formulas(client: FlaskClient, world: World) -> None:
    from civic.dashboard.csvfile import csv_text

    text = csv_text(["=a", "+b", "-c", "@d", "\tx", "\ry", "ok"], [[-1, 2.5, "=SUM(A1)", None]])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["'=a", "'+b", "'-c", "'@d", "'\tx", "'\ry", "ok"]
    assert rows[1] == ["-1", "2.5", "'=SUM(A1)", ""]
