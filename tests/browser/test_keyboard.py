"""The main journeys with the keyboard only (WCAG 2.1.1 keyboard, 2.1.2 no keyboard trap,
2.4.3 focus order, 2.4.7 focus visible): sign up, log in, submit an idea, vote, reply to an
invitation with its code, and an officer publishing an answer.

Only page.keyboard is used (Tab, Shift+Tab, Enter, Space, arrow keys and typing). After
every key that moves focus, the focused element must show a focus indicator (a non-zero
outline or a box shadow) and be on screen. Every page of a journey is first walked from top
to bottom: Tab must leave the page after the last control (no trap), and Shift+Tab must come
back. Forms are filled in the order Tab reaches their fields, and the walk must reach the
form's submit button after them.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

import civic.models  # noqa: F401  (all tables)
from civic import clock, create_app
from civic.accounts.models import User
from civic.extensions import db
from panels.models import Invitation, InvitationStatus
from proposals.models import Idea, ProposalAnswer
from tests.browser.conftest import LiveServer
from tests.browser.sweep_world import CONFIG, NOW, PASSWORD, SweepWorld, build_sweep_world
from tests.conftest import ON_POSTGRES

pytestmark = pytest.mark.skipif(
    ON_POSTGRES, reason="the journeys run on their own SQLite world; they run in the SQLite pass"
)

MAX_STOPS = 250  # more Tab stops than any page has: beyond this, focus is trapped
FIRST = "first"  # a radio group value: take the first option

# The focused element, described; null when focus is on the document itself.
FOCUS_JS = """formSelector => {
  const e = document.activeElement;
  if (!e || e === document.body || e === document.documentElement) return null;
  const s = getComputedStyle(e);
  const r = e.getBoundingClientRect();
  return {
    index: Array.prototype.indexOf.call(document.querySelectorAll('*'), e),
    tag: e.tagName.toLowerCase(),
    type: (e.getAttribute('type') || '').toLowerCase(),
    name: e.getAttribute('name') || '',
    value: e.value === undefined ? '' : String(e.value),
    text: (e.innerText || e.value || e.getAttribute('aria-label') || '').trim().slice(0, 60),
    inForm: !!(formSelector && e.form && e.form.matches(formSelector)),
    outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0,
    shadow: s.boxShadow !== 'none' && s.boxShadow !== '',
    onScreen: r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0
      && r.top < window.innerHeight && r.left < window.innerWidth,
  };
}"""


@dataclass(frozen=True)
class Focus:
    index: int
    tag: str
    type: str
    name: str
    value: str
    text: str
    in_form: bool
    outline: bool
    shadow: bool
    on_screen: bool

    def __str__(self) -> str:
        return f"<{self.tag} type={self.type!r} name={self.name!r}> {self.text!r}"

    @property
    def is_submit(self) -> bool:
        return self.tag == "button" and self.type in ("", "submit")


class Keys:
    """Keyboard-only driving of one page, checking focus after every move."""

    def __init__(self, page: Any) -> None:
        self.page = page

    def focus(self, form: str = "") -> Focus | None:
        info = self.page.evaluate(FOCUS_JS, form)
        if info is None:
            return None
        info["in_form"] = info.pop("inForm")
        info["on_screen"] = info.pop("onScreen")
        return Focus(**info)

    def press(self, key: str, form: str = "") -> Focus | None:
        """Press `key`; the element that then has focus must show it."""
        self.page.keyboard.press(key)
        focused = self.focus(form)
        if focused is not None:
            where = f"{self.page.url} after {key}: {focused}"
            assert focused.outline or focused.shadow, f"focus not visible on {where}"
            assert focused.on_screen, f"focused element off screen on {where}"
        return focused

    def walk(self) -> list[Focus]:
        """Tab from the top of a freshly loaded page through all of it; it must end (no trap)
        and Shift+Tab must lead back to the last control. Reloads the page at the end.
        Returns the Tab stops in order."""
        stops: list[Focus] = []
        for _ in range(MAX_STOPS):
            focused = self.press("Tab")
            if focused is None or (stops and focused.index == stops[0].index):
                break
            stops.append(focused)
        else:
            pytest.fail(f"keyboard trap on {self.page.url}: Tab never left the page: {stops[-5:]}")
        assert stops, f"nothing on {self.page.url} takes keyboard focus"
        assert "skip-link" in self.page.evaluate(
            "i => document.querySelectorAll('*')[i].className", stops[0].index
        ), f"the first Tab stop on {self.page.url} is not the skip link: {stops[0]}"
        if focused is None:  # focus left the document: Shift+Tab returns to the last control
            back = self.press("Shift+Tab")
            assert back is not None and back.index == stops[-1].index, (
                f"Shift+Tab did not return to the last control on {self.page.url}: {back}"
            )
        self.page.reload()  # start the next walk from the top, as on a fresh visit
        return stops

    def fill(self, form: str, values: dict[str, str], submit: str = "") -> None:
        """Tab from the top of a freshly loaded page to the fields of `form` (a CSS selector),
        enter `values` by name,
        then go on to its submit button (whose text contains `submit`) and press Enter."""
        done: set[str] = set()
        for _ in range(MAX_STOPS):
            focused = self.press("Tab", form)
            assert focused is not None, f"Tab left {self.page.url} before the submit button"
            if not focused.in_form:
                continue
            if focused.name in values and focused.name not in done:
                self._enter(focused, values[focused.name], form)
                done.add(focused.name)
            elif focused.is_submit and submit in focused.text:
                missing = set(values) - done
                assert not missing, f"submit reached before the fields {missing} on {self.page.url}"
                with self.page.expect_navigation():
                    self.page.keyboard.press("Enter")
                self.page.wait_for_load_state("load")
                return
        pytest.fail(f"the submit button {submit!r} of {form} was never reached on {self.page.url}")

    def _enter(self, focused: Focus, value: str, form: str) -> None:
        keyboard = self.page.keyboard
        if focused.type == "radio":
            keyboard.press("Space")  # Tab lands on the group's first radio: choose it
            for _ in range(20):
                current = self.focus(form)
                assert current is not None
                if value == FIRST or current.value == value:
                    return
                self.press("ArrowDown", form)  # moves to and chooses the next radio
            pytest.fail(f"no radio {value!r} in {focused}")
        elif focused.tag == "select":
            for _ in range(50):  # a closed select changes its choice with the arrow keys
                current = self.focus(form)
                if current is not None and current.value == value:
                    return
                self.press("ArrowDown", form)
            pytest.fail(f"no option {value!r} in {focused}")
        elif focused.type == "checkbox":
            keyboard.press("Space")
        else:
            keyboard.type(value)

    def activate(self, form: str, submit: str = "", key: str = "Enter") -> None:
        """Tab to the submit button of `form` (text containing `submit`) and press `key`."""
        for _ in range(MAX_STOPS):
            focused = self.press("Tab", form)
            assert focused is not None, f"Tab left {self.page.url} before {submit!r}"
            if focused.in_form and focused.is_submit and submit in focused.text:
                with self.page.expect_navigation():
                    self.page.keyboard.press(key)
                self.page.wait_for_load_state("load")
                return
        pytest.fail(f"{submit!r} was never reached on {self.page.url}")


@dataclass
class Journeys:
    app: Flask
    server: LiveServer
    world: SweepWorld

    def query(self, fn: Callable[[], Any]) -> Any:
        with self.app.app_context():
            try:
                return fn()
            finally:
                db.session.remove()


@pytest.fixture(scope="module")
def journeys(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Journeys]:
    directory = tmp_path_factory.mktemp("keyboard")
    config = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{directory / 'world.sqlite'}", **CONFIG}
    app = create_app("testing", config)
    with app.app_context():
        db.create_all()
        db.session.commit()
        world = build_sweep_world(app)
        db.session.remove()
    clock.freeze(NOW)
    server = LiveServer(app)
    server.start()
    yield Journeys(app, server, world)
    server.stop()
    with app.app_context():
        db.engine.dispose()
    clock.reset()
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture()
def keys(browser: Any, journeys: Journeys) -> Iterator[Keys]:
    context = browser.new_context(base_url=journeys.server.url, locale="nl-NL")
    page = context.new_page()
    page.set_default_timeout(15000)
    yield Keys(page)
    context.close()


def _log_in(keys: Keys, email: str) -> None:
    keys.page.goto("/account/login")
    keys.walk()
    keys.fill("main form", {"email": email, "password": PASSWORD})
    assert "/account/login" not in keys.page.url, f"{email} was not logged in"


def test_sign_up(keys: Keys, journeys: Journeys) -> None:
    keys.page.goto("/account/signup")
    keys.walk()
    values = {"email": "toetsenbord@example.org", "password": "lange zin als wachtwoord 2026"}
    keys.fill("main form", {**values, "display_name": "Toetsenbord"})
    assert "Kijk in uw e-mail" in keys.page.locator("h1").inner_text()
    made = journeys.query(
        lambda: db.session.scalar(select(User).where(User.email == values["email"]))
    )
    assert made is not None and made.display_name == "Toetsenbord"


def test_log_in(keys: Keys) -> None:
    _log_in(keys, "resident@example.org")
    assert keys.page.locator("form[action$='/account/logout']").count() == 1
    keys.walk()  # the profile page


def test_submit_an_idea(keys: Keys, journeys: Journeys) -> None:
    _log_in(keys, "resident@example.org")
    keys.page.goto("/ideas/new")
    keys.walk()
    title = "Drinkwaterpunt bij het station"
    values = {
        "title": title,
        "problem": "Reizigers kunnen nergens water tappen.",
        "proposed_change": "Zet een drinkwaterpunt bij de ingang.",
        "service_area": "afval",
    }
    keys.fill("main form", values)
    if keys.page.url.endswith("/ideas/new"):  # similar ideas were shown: confirm it is new
        keys.walk()
        keys.activate("main form")
    assert "/ideas/new" not in keys.page.url, keys.page.locator("main").inner_text()
    idea = journeys.query(lambda: db.session.scalar(select(Idea).where(Idea.title == title)))
    assert idea is not None
    assert keys.page.url.endswith(f"/ideas/{idea.id}")
    keys.walk()


def test_vote_with_the_space_bar(keys: Keys, journeys: Journeys) -> None:
    idea_id = journeys.world.params["idea_id"]
    _log_in(keys, "voter1@example.org")
    keys.page.goto(f"/ideas/{idea_id}")
    stops = keys.walk()
    assert any(s.is_submit and "Stem" in s.text for s in stops), [str(s) for s in stops]
    keys.activate(f"form[action$='/ideas/{idea_id}/vote']", key="Space")
    assert keys.page.locator(f"form[action$='/ideas/{idea_id}/unvote']").count() == 1
    keys.walk()


def test_reply_to_an_invitation_by_code(keys: Keys, journeys: Journeys) -> None:
    keys.page.goto("/reply")
    keys.walk()
    keys.fill("main form", {"code": journeys.world.reply_code})
    assert keys.page.url.endswith("/reply/answer"), keys.page.locator("main").inner_text()
    keys.walk()
    keys.fill(
        "main form",
        {
            "answer": "yes",
            "q_education": FIRST,
            "q_digital_skills": FIRST,
            "availability": "Dinsdagavond",
        },
    )
    assert "/reply/done" in keys.page.url, keys.page.locator("main").inner_text()
    invitation_id = journeys.world.params["invitation_id"]
    status = journeys.query(lambda: db.session.get(Invitation, invitation_id).status)
    assert status == InvitationStatus.YES


def test_officer_publishes_an_answer(keys: Keys, journeys: Journeys) -> None:
    proposal_id = journeys.world.params["proposal_id"]

    def published() -> int:
        query = select(func.count()).select_from(ProposalAnswer)
        query = query.where(
            ProposalAnswer.proposal_id == proposal_id, ProposalAnswer.published_at.is_not(None)
        )
        return int(db.session.scalar(query) or 0)

    before = journeys.query(published)
    _log_in(keys, "officer.a@example.org")
    keys.page.goto(f"/inbox/{proposal_id}")
    keys.walk()
    keys.fill(
        f"form[action$='/inbox/{proposal_id}/answer']",
        {
            "kind": "adopted_in_part",
            "summary": "Vijf bakken",
            "explanation": "We plaatsen er vijf.",
            "reason": "Meer past niet in het budget.",
        },
    )
    assert "Concept" in keys.page.locator("main").inner_text()
    keys.walk()
    keys.activate(f"form[action$='/inbox/{proposal_id}/publish']")
    assert journeys.query(published) == before + 1
    keys.walk()
