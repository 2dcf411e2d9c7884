"""Shared pieces of the bad-input tests: hostile text strategies, the authorization world as a
resettable SQLite template, form discovery from the rendered pages, and row counts.

The world (tests/authz/world.py) is built once into a template file; every Hypothesis example
runs on a fresh copy of it, so one hostile submission never changes what the next one sees.
"""

from __future__ import annotations

import inspect
import re
import shutil
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, url_for
from flask_wtf import FlaskForm
from hypothesis import strategies as st
from sqlalchemy import func, literal, select, union_all
from wtforms.fields.core import UnboundField

import civic.models  # noqa: F401  (all tables)
from civic import clock, create_app
from civic.extensions import db
from tests.authz import world as world_module
from tests.authz.policy import ALLOWED, PERSONAS, POLICY, PUBLIC, Persona, Rule, rules_for
from tests.conftest import IsolatedClient

# --- hostile text -------------------------------------------------------------------------

CONTROL = "".join(chr(c) for c in [*range(0x00, 0x20), 0x7F])
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
HTML_PAYLOADS = (
    "<script>alert(1)</script>",
    '"><script>alert(1)</script>',
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "javascript:alert(1)",
    "{{ 7*7 }}{% raw %}",
)
# Raw markers that must never come back unescaped in a page (escaped they read &lt;script...).
RAW_MARKERS = ("<script>alert", "<img src=x onerror", "<svg onload")
SQLISH = ("' OR '1'='1", "'; DROP TABLE users; --", '" OR ""="', "\\'", "%_%", "--")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMULAS = ("=1+1", "+1+1", "-1+1", "@SUM(A1)", '=HYPERLINK("http://x","y")', "\t=1", "\r=1")
ASTRAL = "😀👍🏽🇳🇱𝔘𐍈\U0010fffd"


def _overlong() -> st.SearchStrategy[str]:
    return st.builds(
        lambda unit, n: (unit * n)[: max(n, 10_001)],
        st.sampled_from(["a", "é", "😀", "<b>", "x "]),
        st.integers(10_001, 30_000),
    )


def hostile_text() -> st.SearchStrategy[str]:
    """Valid UTF-8 text that servers tend to mishandle (no lone surrogates: they can't be sent)."""
    return st.one_of(
        _overlong(),
        st.text(alphabet=CONTROL, min_size=1, max_size=20),
        st.text(alphabet=CONTROL + "abc", min_size=1, max_size=40),
        st.text(alphabet=BIDI + ZERO_WIDTH + "abc", min_size=1, max_size=40),
        st.sampled_from(HTML_PAYLOADS),
        st.sampled_from(SQLISH),
        st.sampled_from(FORMULAS),
        st.text(alphabet=ASTRAL, min_size=1, max_size=20),
        st.just(""),
        st.just("   "),
        st.just("\x00"),
        st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=0, max_size=60),
    )


# --- the world -----------------------------------------------------------------------------

# Which persona posts a route: the most specific one its policy allows.
PREFERENCE = (
    "anonymous",
    "verified",
    "member",
    "officer_a",
    "moderator",
    "clerk",
    "resident",
    "admin",
)
# Tables a refused submission may legitimately write: failed code attempts are counted (and
# throttled) on purpose.
VOLATILE_TABLES = frozenset({"letter_code_attempt", "login_attempt"})


POLICY_PUBLIC = PUBLIC


def bare_app() -> Flask:
    """An app on an in-memory database, only to read the URL map."""
    return create_app("testing", {"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def persona(name: str) -> Persona:
    return next(p for p in PERSONAS if p.name == name)


def poster(rule: Rule) -> Persona | None:
    """The persona that may post under `rule` (anonymous only for public routes)."""
    allowed = [n for n in PREFERENCE if rule.policy.expect(persona(n)) == ALLOWED]
    return persona(allowed[0]) if allowed else None


@dataclass
class FormField:
    """One field of a rendered form: its name, HTML type, default and choices."""

    name: str
    kind: str
    value: str = ""
    choices: list[str] = field(default_factory=list)
    label: str = ""


@dataclass
class Form:
    action: str
    fields: dict[str, FormField] = field(default_factory=dict)
    multipart: bool = False


class _FormParser(HTMLParser):
    """Collects POST forms (action, fields, defaults, choices) and the labels of the page."""

    def __init__(self, page_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[Form] = []
        self.labels: dict[str, str] = {}
        self.ids: dict[str, str] = {}
        self._form: Form | None = None
        self._select: FormField | None = None
        self._textarea: FormField | None = None
        self._label_for: str | None = None
        self._label_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "get").lower() == "post":
            action = urlsplit(a.get("action") or self.page_url).path
            multipart = a.get("enctype", "") == "multipart/form-data"
            self._form = Form(action, multipart=multipart)
        elif tag == "label":
            self._label_for, self._label_text = a.get("for"), []
        if self._form is None:
            return
        name = a.get("name")
        if a.get("id") and name:
            self.ids[a["id"]] = name
        if tag == "input" and name:
            self._input(name, a)
        elif tag == "textarea" and name:
            self._textarea = self._form.fields.setdefault(name, FormField(name, "textarea"))
        elif tag == "select" and name:
            self._select = self._form.fields.setdefault(name, FormField(name, "select"))
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            self._select.choices.append(value)
            if "selected" in a or (not self._select.value and value):
                self._select.value = value

    def _input(self, name: str, a: dict[str, str]) -> None:
        assert self._form is not None
        kind = a.get("type", "text").lower()
        if kind in ("submit", "button", "image", "reset"):
            return
        known = self._form.fields.get(name)
        if kind in ("radio", "checkbox") and known is not None:
            known.choices.append(a.get("value", "on"))
            if "checked" in a:
                known.value = a.get("value", "on")
            return
        entry = FormField(name, kind, a.get("value", ""))
        if kind in ("radio", "checkbox"):
            entry.choices = [a.get("value", "on")]
            entry.value = a.get("value", "on") if ("checked" in a or kind == "radio") else ""
        self._form.fields[name] = entry

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.value += data
        if self._label_for is not None:
            self._label_text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "label" and self._label_for:
            self.labels[self._label_for] = " ".join("".join(self._label_text).split())
            self._label_for = None


def parse_forms(html: str, page_url: str) -> list[Form]:
    parser = _FormParser(page_url)
    parser.feed(html)
    for form in parser.forms:
        for element_id, label in parser.labels.items():
            name = parser.ids.get(element_id)
            if name in form.fields:
                form.fields[name].label = label
    return parser.forms


class FuzzWorld:
    """The authorization world in a SQLite template, a working copy reset per example, and a
    logged-in client per persona with its CSRF token."""

    def __init__(self, directory: Path) -> None:
        self.template = directory / "world.sqlite"
        self.work = directory / "work.sqlite"
        builder = create_app("testing", self._config(self.template))
        with builder.app_context():
            db.create_all()
            db.session.commit()
            self.world = world_module.build_world(builder)
            db.session.remove()
            db.engine.dispose()
        self.app: Flask = create_app("testing", self._config(self.work))
        self.app.test_client_class = IsolatedClient
        self.reset()
        self.csrf = {p.name: self._csrf_of(p) for p in PERSONAS}
        self.baseline = self.counts()
        self._forms: dict[str, dict[str, Form]] = {}

    def forms(self, who: Persona) -> dict[str, Form]:
        """The forms `who` sees (crawled once per persona)."""
        if who.name not in self._forms:
            self._forms[who.name] = self.discover_forms(who)
        return self._forms[who.name]

    @staticmethod
    def _config(path: Path) -> dict[str, Any]:
        return {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", **world_module.CONFIG}

    def reset(self) -> None:
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()
        for suffix in ("-wal", "-shm"):
            Path(f"{self.work}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(self.template, self.work)
        clock.freeze(world_module.NOW)

    def client(self, who: Persona) -> Any:
        """A client logged in as `who` (anonymous: none) carrying the persona's CSRF session."""
        client = self.app.test_client()
        token = self.world.tokens.get(who.name)
        raw = self.csrf.get(who.name, ("", ""))[0] if hasattr(self, "csrf") else ""
        with client.session_transaction() as session:
            if token:
                session["_user_id"] = token
                session["_fresh"] = True
            if raw:
                session["csrf_token"] = raw
            session["lang"] = "en"
        return client

    def _csrf_of(self, who: Persona) -> tuple[str, str]:
        client = self.client(who)
        forms = parse_forms(client.get("/").get_data(as_text=True), "/")
        token = next(f.fields["csrf_token"].value for f in forms if "csrf_token" in f.fields)
        with client.session_transaction() as session:
            return session["csrf_token"], token

    def url(self, endpoint: str, rule: Rule) -> str:
        arguments = next(
            r for r in self.app.url_map.iter_rules() if r.endpoint == endpoint
        ).arguments
        values = {
            name: self.world.alternatives[rule.params[name]]
            if name in rule.params
            else self.world.params[name]
            for name in arguments
        }
        with self.app.test_request_context():
            return url_for(endpoint, **values)

    def counts(self) -> dict[str, int]:
        """Rows per table (the audit head's sequence stands for the audit log)."""
        tables = [t for t in db.metadata.sorted_tables if t.name not in VOLATILE_TABLES]
        query = union_all(*(select(literal(t.name), func.count()).select_from(t) for t in tables))
        with self.app.app_context():
            found = {name: int(n) for name, n in db.session.execute(query)}
            db.session.remove()
        return found

    def discover_forms(self, who: Persona) -> dict[str, Form]:
        """Every POST form on every GET page `who` may open, by action path."""
        self.reset()
        client = self.client(who)
        found: dict[str, Form] = {}
        for endpoint, rules in _get_routes(self.app):
            for rule in rules:
                if rule.policy.expect(who) != ALLOWED or endpoint == "accounts.logout":
                    continue
                try:
                    url = self.url(endpoint, rule)
                except KeyError:
                    continue
                response = client.get(url)
                html = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
                response.close()
                for form in parse_forms(html, url):
                    known = found.get(form.action)
                    if known is None or len(form.fields) > len(known.fields):
                        found[form.action] = form
        return found


def _get_routes(app: Flask) -> list[tuple[str, list[Rule]]]:
    endpoints = sorted({r.endpoint for r in app.url_map.iter_rules() if "GET" in (r.methods or ())})
    skipped = {"static", "proposals.static", "dashboard.plotly_js"}
    return [(e, rules_for(e, "GET")) for e in endpoints if e in POLICY and e not in skipped]


_FIELD_KINDS = {
    "IntegerField": "number",
    "DecimalField": "number",
    "FloatField": "number",
    "DateField": "date",
    "DateTimeLocalField": "datetime-local",
    "TimeField": "time",
    "EmailField": "email",
    "PasswordField": "password",
    "TextAreaField": "textarea",
    "SelectField": "select",
    "RadioField": "radio",
    "BooleanField": "checkbox",
    "HiddenField": "hidden",
    "FileField": "file",
    "MultipleFileField": "file",
    "SelectMultipleField": "select",
}


def _view_sources(app: Flask, endpoint: str) -> tuple[str, dict[str, Any]]:
    """The view's source and that of the module functions it calls (one level deep)."""
    view = inspect.unwrap(app.view_functions[endpoint])
    source = inspect.getsource(view)
    called = {view.__globals__.get(n) for n in re.findall(r"\b(_?\w+)\(", source)}
    helpers = [f for f in called if inspect.isfunction(f) and f.__module__ == view.__module__]
    return source + "".join(inspect.getsource(f) for f in helpers), view.__globals__


def declared_form(app: Flask, endpoint: str, action: str) -> Form | None:
    """The fields the view reads (for forms the world does not show in its state): those of
    the WTForms class it builds, or the names it reads from `request.form`."""
    source, names_in_scope = _view_sources(app, endpoint)
    classes = [names_in_scope.get(n) for n in re.findall(r"\b([A-Z]\w*Form)\(", source)]
    classes = [c for c in classes if isinstance(c, type) and issubclass(c, FlaskForm)]
    form = Form(action)
    if classes:
        declared = [(n, getattr(classes[0], n)) for n in dir(classes[0])]
        unbound_fields = [(n, f) for n, f in declared if isinstance(f, UnboundField)]
        for name, unbound in sorted(unbound_fields, key=lambda pair: pair[1].creation_counter):
            kind = _FIELD_KINDS.get(unbound.field_class.__name__, "text")
            choices = [str(c[0]) for c in unbound.kwargs.get("choices") or () if _pair(c)]
            form.fields[name] = FormField(name, kind, choices[0] if choices else "", choices)
            form.multipart = form.multipart or kind == "file"
    for name in re.findall(r"request\.form\.get\(\s*\"(\w+)\"", source):
        form.fields.setdefault(name, FormField(name, "text"))
    return form if form.fields else None


def _pair(choice: Any) -> bool:
    return isinstance(choice, tuple) and len(choice) == 2


# Values that pass the forms' own checks, by field name.
NAMED_VALUES = {
    "slug": "fuzz-agency",
    "name": "Afdeling Fuzz",
    "target": "3",
    "seed": "12345",
    "register_id": "R1",
    "percent": "50",
    "score": "4",
    "outcome": "go",
    "planned_for": "2026-07-01",
    "testers": "20",
    "duration_weeks": "5",
}
PLAIN_TEXT = "Plain words that are long enough for every form to accept them."


def valid_value(entry: FormField) -> str:
    """A plausible valid value for a field the page left empty."""
    if entry.value.strip() or entry.kind in ("hidden", "checkbox"):
        return entry.value.strip()
    if entry.name in NAMED_VALUES:
        return NAMED_VALUES[entry.name]
    samples = {
        "number": "3",
        "email": "someone@example.org",
        "password": "correct horse battery",
        "date": "2026-07-01",
        "datetime-local": "2026-07-01T10:00",
        "time": "10:00",
        "url": "https://example.org/",
        "tel": "0201234567",
    }
    return samples.get(entry.kind, PLAIN_TEXT)


def raw_markers_in(body: str) -> list[str]:
    return [m for m in RAW_MARKERS if m in body]


class LiveWorld(FuzzWorld):
    """The same world built once on the configured database of `app` (PostgreSQL in CI):
    no resets, so it serves one pass of requests whose effects do not matter."""

    def __init__(self, app: Flask) -> None:  # noqa: D107  (no call to super: no template)
        self.app = app
        app.config.update(world_module.CONFIG)
        app.test_client_class = IsolatedClient
        self.world = world_module.build_world(app)
        clock.freeze(world_module.NOW)
        self.csrf = {p.name: self._csrf_of(p) for p in PERSONAS}
        self._forms = {}

    def reset(self) -> None:
        clock.freeze(world_module.NOW)
