"""`flask --app civic demo`: a believable municipality, Gemeente Rivierstad.

Everything goes through the packages' real services, so audit rows, timelines, tallies and
notifications are real. History is made at believable past moments with a frozen clock (see
story.py); the clock is reset at the end, so open ballots and deadlines are relative to the
real now. Idempotent: each section has a marker (a natural key) and is skipped once loaded,
so a second run changes nothing. Refuses to run in production. Demo passwords are printed:
this data only ever lives on a developer's machine; they are not secrets.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click
from flask import Flask, current_app

from civic import clock
from civic.demo import ideas, inbox, people, pilot, summary
from civic.demo.base import (
    AGENCIES,
    MUNICIPALITY,
    USERS,
    DemoUser,
    demo_password,
    load_agencies,
    load_register,
    load_users,
    register_rows,
)
from civic.demo.panel import add_panel, panel_loaded
from civic.demo.story import Story
from civic.extensions import db

__all__ = ["AGENCIES", "USERS", "DemoUser", "demo_password", "load", "register", "register_rows"]

START_DAYS = 450  # the story starts this many days before the real now


@contextmanager
def demo_vote_rules() -> Iterator[None]:
    """The demo's threshold for its ballots while loading (each ballot stores its own)."""
    config = current_app.config
    had, saved = "IDEA_VOTE_RULES" in config, config.get("IDEA_VOTE_RULES")
    config["IDEA_VOTE_RULES"] = {**(saved or {}), **ideas.DEMO_VOTE_RULES}
    try:
        yield
    finally:
        if had:
            config["IDEA_VOTE_RULES"] = saved
        else:
            config.pop("IDEA_VOTE_RULES", None)


def _cast(story: Story, agencies: dict[str, object]) -> None:
    """The accounts every section acts with."""
    by_email = {u.email: people.user_by_email(u.email) for u in USERS}
    story.state.update(
        agencies=agencies,
        admin=by_email["admin@rivierstad.demo"],
        moderator=by_email["moderator@rivierstad.demo"],
        clerk=by_email["clerk@rivierstad.demo"],
        officers={e: u for e, u in by_email.items() if u.agency_id is not None},
        rik=people.demo_resident(),
    )


def _plan(story: Story) -> list[str]:
    """Create the residents and plan the sections that are not loaded yet."""
    skipped = []
    needs_hash = not people.residents_loaded() or not panel_loaded()
    story.state["hash"] = people.shared_hash() if needs_hash else ""
    if not people.residents_loaded():
        clock.freeze(story.at(START_DAYS - 1, 9))
        people.create_residents(story.state["clerk"], story.state["hash"])
    clock.freeze(story.at(START_DAYS - 2, 10))
    people.verify_demo_resident(story.state["clerk"])
    story.state["residents"] = people.residents()
    if ideas.ideas_loaded():
        skipped.append("ideas, inbox and pilot")
    else:
        ideas.add_ideas(story)
        inbox.add_inbox(story)
        if not pilot.pilot_loaded():
            pilot.add_pilot(story)
    if panel_loaded():
        skipped.append("panel")
    else:
        add_panel(story)
    return skipped


def load() -> list[str]:
    """Load everything; return the lines to print. The caller commits."""
    story = Story(clock.now())
    try:
        clock.freeze(story.at(START_DAYS, 9))
        agencies = load_agencies()
        users = load_users(agencies)
        register_line = load_register()
        _cast(story, dict(agencies))
        if people.register_ready():
            skipped = _plan(story)
            with demo_vote_rules():
                story.run()
        else:
            skipped = ["the story (this database holds another register)"]
    finally:
        clock.reset()
    lines = [f"{MUNICIPALITY}: {len(agencies)} agencies", register_line]
    if skipped:
        lines.append("already loaded, skipped: " + "; ".join(skipped))
    return lines + summary.lines() + summary.accounts(users)


def register(app: Flask) -> None:
    """Add `flask demo`."""

    @app.cli.command("demo")
    def demo_command() -> None:
        """Load the demo municipality (safe to run twice)."""
        if current_app.config.get("ENV_NAME") == "production" or current_app.config.get(
            "SESSION_COOKIE_SECURE"
        ):
            raise click.ClickException("refusing to load demo data in production")
        lines = load()
        db.session.commit()
        click.echo("\n".join(lines))
