"""Every form of the app against hostile text: the server never fails (no 5xx), refuses bad
input with a page that says what is wrong, writes nothing when it refuses, and never echoes
stored text unescaped.

The routes come from the app's URL map (every POST rule), the poster from the declared
authorization policy (tests/authz/policy.py), the fields from the forms the world's pages
render (or, for forms the world does not show in its current state, from the WTForms class
the view builds).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote_from_bytes

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civic import clock
from civic.extensions import db
from tests.authz.policy import POLICY, Rule, rules_for
from tests.conftest import ON_POSTGRES
from tests.fuzz import support
from tests.fuzz.support import Form, FuzzWorld, declared_form, hostile_text, raw_markers_in
from tests.support import csrf_token

EXAMPLES = 4
OK_STATUSES = {200, 302, 303, 400, 409, 413, 422}
# Pages that show text stored by forms: after a successful hostile post they must escape it.
DISPLAY_PAGES = (
    ("proposals.index", Rule(support.POLICY_PUBLIC)),
    ("proposals.detail", Rule(support.POLICY_PUBLIC)),
    ("agencies.proposal", Rule(support.POLICY_PUBLIC)),
    ("agencies.agency", Rule(support.POLICY_PUBLIC)),
    ("pilots.detail", Rule(support.POLICY_PUBLIC)),
    ("panels.public_page", Rule(support.POLICY_PUBLIC)),
)
GENERIC_MESSAGES = (
    "The request was not understood",
    "Something went wrong",
    "Please check what you entered.",
)
# Refusals that write on purpose: a failed login is audited (and counts towards throttling).
REFUSAL_WRITES = {"accounts.login": {"audit_entry", "audit_head"}}
# Findings the lead has been told about: (endpoint, what) -> note. The test fails once fixed.
KNOWN: dict[tuple[str, str], str] = {}


def _cases() -> list[tuple[str, int]]:
    app = support.bare_app()
    endpoints = sorted(
        {r.endpoint for r in app.url_map.iter_rules() if "POST" in (r.methods or ())}
    )
    return [(e, i) for e in endpoints if e in POLICY for i, _ in enumerate(rules_for(e, "POST"))]


CASES = _cases()


@pytest.fixture(scope="module")
def fuzz(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzWorld]:
    built = FuzzWorld(tmp_path_factory.mktemp("fuzz-forms"))
    yield built
    clock.reset()


class Target:
    """One POST route as its poster sees it: URL, persona, form, and the answer to a plain
    submission (the route may refuse in the world's state; then hostile input may too)."""

    def __init__(self, fuzz: FuzzWorld, endpoint: str, index: int) -> None:
        self.endpoint = endpoint
        self.rule = rules_for(endpoint, "POST")[index]
        who = support.poster(self.rule)
        assert who is not None, f"{endpoint}: nobody may post"
        self.who = who
        self.url = fuzz.url(endpoint, self.rule)
        self.form = (
            fuzz.forms(who).get(self.url)
            or declared_form(fuzz.app, endpoint, self.url)
            or Form(self.url)
        )
        self.csrf_field = next((n for n in self.form.fields if n.endswith("csrf_token")), None)
        fuzz.reset()
        self.baseline = self.post(fuzz, self.base()).status_code

    def base(self) -> dict[str, str]:
        data = {n: support.valid_value(f) for n, f in self.form.fields.items()}
        data = {n: v for n, v in data.items() if v or self.form.fields[n].kind != "checkbox"}
        data.pop("file", None)
        return data

    def fuzzable(self) -> list[str]:
        names = [n for n in self.form.fields if not n.endswith("csrf_token")]
        return names or ["unexpected"]

    def post(self, fuzz: FuzzWorld, data: dict[str, Any]) -> Any:
        token = fuzz.csrf[self.who.name][1]
        payload = {**data, self.csrf_field or "csrf_token": token}
        return fuzz.client(self.who).post(self.url, data=payload)


_targets: dict[tuple[str, int], Target] = {}


def _target(fuzz: FuzzWorld, endpoint: str, index: int) -> Target:
    if (endpoint, index) not in _targets:
        _targets[(endpoint, index)] = Target(fuzz, endpoint, index)
    return _targets[(endpoint, index)]


def _problems(fuzz: FuzzWorld, target: Target, response: Any, fields: list[str]) -> list[str]:
    """What is wrong with one answer to a hostile submission."""
    status, body = response.status_code, response.get_data(as_text=True)
    problems = []
    allowed = OK_STATUSES | {target.baseline}
    if status >= 500 or status not in allowed:
        problems.append(f"answered {status} (plain submission: {target.baseline})")
    if status in (400, 422) and _generic(body) and not _names_field(body, target, fields):
        problems.append(f"{status} page names no field and gives a generic message")
    changed = set(_diff(fuzz)) - REFUSAL_WRITES.get(target.endpoint, set())
    if status >= 400 and changed:
        problems.append(f"refused with {status} but rows changed: {_diff(fuzz)}")
    if raw_markers_in(body):
        problems.append(f"answer echoes markup unescaped: {raw_markers_in(body)}")
    if status in (302, 303) and any("<" in v for v in fields):
        problems += _displays_escaped(fuzz, target, response.headers["Location"])
    return problems


def _generic(body: str) -> bool:
    return (
        "error-summary" not in body
        and "error-message" not in body
        and (any(f"<h1>{m}" in body for m in GENERIC_MESSAGES))
    )


def _names_field(body: str, target: Target, fields: list[str]) -> bool:
    labels = [target.form.fields[n].label for n in fields if n in target.form.fields]
    return any(label and label in body for label in labels)


def _diff(fuzz: FuzzWorld) -> dict[str, tuple[int, int]]:
    now = fuzz.counts()
    return {t: (fuzz.baseline[t], n) for t, n in now.items() if fuzz.baseline.get(t) != n}


def _displays_escaped(fuzz: FuzzWorld, target: Target, location: str) -> list[str]:
    client = fuzz.client(target.who)
    urls = [location] + [fuzz.url(e, r) for e, r in DISPLAY_PAGES]
    found = []
    for url in urls:
        body = client.get(url).get_data(as_text=True)
        if raw_markers_in(body):
            found.append(f"{url} shows stored markup unescaped: {raw_markers_in(body)}")
    return found


def _check(fuzz: FuzzWorld, target: Target, problems: list[str], what: str) -> None:
    known = KNOWN.get((target.endpoint, what))
    if known:
        assert problems, f"{target.endpoint}: known finding is fixed, drop it from KNOWN: {known}"
        return
    assert not problems, f"{target.endpoint} {target.url} as {target.who.name}: " + "; ".join(
        problems
    )


@pytest.mark.parametrize(("endpoint", "index"), CASES, ids=[f"{e}#{i}" for e, i in CASES])
def test_form_refuses_hostile_text_cleanly(fuzz: FuzzWorld, endpoint: str, index: int) -> None:
    target = _target(fuzz, endpoint, index)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=st.data())
    def run(data: Any) -> None:
        fuzz.reset()
        names = target.fuzzable()
        chosen = data.draw(
            st.one_of(st.sampled_from(names).map(lambda n: [n]), st.just(names)), label="fields"
        )
        text = data.draw(hostile_text(), label="text")
        form = {**target.base(), **dict.fromkeys(chosen, text)}
        response = target.post(fuzz, form)
        _check(fuzz, target, _problems(fuzz, target, response, [text]), "text")

    run()


@pytest.mark.parametrize(("endpoint", "index"), CASES, ids=[f"{e}#{i}" for e, i in CASES])
def test_form_refuses_invalid_utf8_cleanly(fuzz: FuzzWorld, endpoint: str, index: int) -> None:
    """Bytes that are not UTF-8 in every field, url-encoded and as multipart."""
    target = _target(fuzz, endpoint, index)
    token = fuzz.csrf[target.who.name][1]
    bad = b"\xff\xfe\xc3(\xed\xa0\x80 caf\xe9 \x00"
    fields = {n: bad for n in target.fuzzable()}
    fields[target.csrf_field or "csrf_token"] = token.encode()
    encoded = "&".join(
        f"{quote_from_bytes(k.encode())}={quote_from_bytes(v)}" for k, v in fields.items()
    )
    boundary = "fuzzboundary"
    parts = b"".join(
        b'--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n'
        % (boundary.encode(), k.encode(), v)
        for k, v in fields.items()
    )
    multipart = parts + f"--{boundary}--\r\n".encode()
    for body, kind in (
        (encoded.encode(), "application/x-www-form-urlencoded"),
        (multipart, f"multipart/form-data; boundary={boundary}"),
    ):
        fuzz.reset()
        response = fuzz.client(target.who).post(target.url, data=body, content_type=kind)
        _check(fuzz, target, _problems(fuzz, target, response, []), "bytes")


# --- NUL bytes on the configured database (PostgreSQL refuses them in text columns) -------

NUL_FORMS: dict[str, tuple[str | None, str, dict[str, str]]] = {
    "signup": (
        None,
        "/account/signup",
        {"email": "nul@example.org", "password": "correct horse battery", "display_name": "A\0"},
    ),
    "login": (None, "/account/login", {"email": "a\0@example.org", "password": "x\0y"}),
    "reset": (None, "/account/reset", {"email": "a\0@example.org"}),
    "reply code": (None, "/reply", {"code": "AB\0CD"}),
    "profile": ("resident", "/account/", {"display_name": "An\0na", "locale": "en"}),
    "new idea": (
        "resident",
        "/ideas/new",
        {
            "title": "Bins\0 here",
            "problem": "A problem\0 here",
            "proposed_change": "Change\0 it",
            "service_area": "afval",
            "agency_id": "1",
            "checked": "1",
        },
    ),
    "verify code": ("resident", "/panels/verify", {"code": "AB\0CD"}),
}
# Forms that fail with a 500 on PostgreSQL (findings told to the lead): name -> where.
# Nothing refuses NUL in form text before it reaches the database; SQLite stores it.
NUL_KNOWN: dict[str, str] = {}  # fixed: civic/security.py refuses NUL in form text


@pytest.mark.parametrize("name", sorted(NUL_FORMS))
def test_nul_bytes_never_reach_the_database(
    client: Any, make_user: Any, make_agency: Any, login: Any, name: str
) -> None:
    """Runs on the configured database: PostgreSQL text columns cannot hold NUL, so a form
    must refuse (or strip) it instead of failing with a database error."""
    role, url, fields = NUL_FORMS[name]
    make_agency()
    if role:
        login(client, make_user(verified=True))
    token = csrf_token(client, url)
    try:
        status = client.post(url, data={"csrf_token": token, **fields}).status_code
    except Exception as error:  # noqa: BLE001  (the testing app propagates a 500's cause)
        status = 500
        cause = f"{type(error).__name__}: {error}".splitlines()[0]
    else:
        cause = ""
    if name in NUL_KNOWN and ON_POSTGRES:
        assert status >= 500, f"fixed: drop {name!r} from NUL_KNOWN"
        return
    assert status < 500, f"POST {url} with a NUL byte: {status} {cause}"


# Routes that answer NUL bytes in their fields with a 500 on PostgreSQL: endpoint -> the
# text fields that carried NUL. Findings told to the lead; one fix covers all (refuse
# control characters in form text with a field message).
NUL_ROUTES_KNOWN: dict[str, str] = {}  # fixed: civic/security.py refuses NUL


@pytest.mark.postgres_only
@pytest.mark.skipif(not ON_POSTGRES, reason="SQLite stores NUL; the hostile-text test covers it")
def test_nul_bytes_in_every_form_on_postgres(app: Any) -> None:
    """Every POST route once, NUL bytes in every field, on the world built in PostgreSQL."""
    live = support.LiveWorld(app)
    failing: dict[str, str] = {}
    for endpoint, index in CASES:
        rule = rules_for(endpoint, "POST")[index]
        who = support.poster(rule)
        assert who is not None
        url = live.url(endpoint, rule)
        form = live.forms(who).get(url) or declared_form(app, endpoint, url) or Form(url)
        data = {n: support.valid_value(f) for n, f in form.fields.items()}
        for name, entry in form.fields.items():
            if entry.kind not in ("hidden", "checkbox", "radio", "select", "file"):
                data[name] = f"nul\0{data[name]}"
        data.pop("file", None)
        token_field = next((n for n in form.fields if n.endswith("csrf_token")), "csrf_token")
        data[token_field] = live.csrf[who.name][1]
        try:
            status = live.client(who).post(url, data=data).status_code
        except Exception as error:  # noqa: BLE001  (the testing app propagates a 500's cause)
            status, cause = 500, f"{type(error).__name__}"
        else:
            cause = ""
        if status >= 500:
            failing[endpoint] = f"{url} as {who.name}: {status} {cause}"
        db.session.rollback()
    unexpected = {e: w for e, w in failing.items() if e not in NUL_ROUTES_KNOWN}
    fixed = set(NUL_ROUTES_KNOWN) - set(failing)
    assert not unexpected, "NUL bytes give a 500:\n" + "\n".join(unexpected.values())
    assert not fixed, f"fixed: drop {sorted(fixed)} from NUL_ROUTES_KNOWN"
