"""The declared authorization policy: who may call every route of the app.

One entry per endpoint (or per endpoint and method; an entry may list several cases that
call the route on different world objects). A route that is not in `POLICY` fails
the matrix, so every new route gets a decision here. See docs/security.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from civic.accounts.models import Role

Outcome = Literal["allowed", "denied", "login"]
ALLOWED: Outcome = "allowed"
DENIED: Outcome = "denied"
LOGIN: Outcome = "login"


@dataclass(frozen=True)
class Persona:
    """Who calls the route. The world (world.py) gives each logged-in persona an account."""

    name: str
    role: Role | None  # None: not logged in
    verified: bool = False
    agency: str | None = None  # "A" or "B" for officers
    member: bool = False  # serving member of the world's panel
    author: bool = False  # author of the world's ideas
    voter: bool = False  # voted for the idea that became the world's proposal


PERSONAS: tuple[Persona, ...] = (
    Persona("anonymous", None),
    Persona("resident", Role.RESIDENT, author=True),
    Persona("verified", Role.RESIDENT, verified=True, voter=True),
    Persona("member", Role.RESIDENT, verified=True, member=True),
    Persona("moderator", Role.MODERATOR),
    Persona("clerk", Role.CLERK),
    Persona("officer_a", Role.OFFICER, agency="A"),
    Persona("officer_b", Role.OFFICER, agency="B"),
    Persona("admin", Role.ADMIN),
)


@dataclass(frozen=True)
class Policy:
    """A named rule from persona to the expected outcome."""

    name: str
    decide: Callable[[Persona], Outcome]

    def expect(self, persona: Persona) -> Outcome:
        return self.decide(persona)


def _logged_in(test: Callable[[Persona], bool]) -> Callable[[Persona], Outcome]:
    """Anonymous visitors are sent to log in; logged-in personas pass `test` or are denied."""

    def decide(persona: Persona) -> Outcome:
        if persona.role is None:
            return LOGIN
        return ALLOWED if test(persona) else DENIED

    return decide


def _is_admin(persona: Persona) -> bool:
    return persona.role == Role.ADMIN


PUBLIC = Policy("public", lambda persona: ALLOWED)
LOGGED_IN = Policy("login", _logged_in(lambda persona: True))
VERIFIED = Policy("verified resident", _logged_in(lambda persona: persona.verified))
AUTHOR = Policy("author of the idea", _logged_in(lambda persona: persona.author))
OFFICER_OF_A = Policy(
    "officer of agency A (admins pass)",
    _logged_in(lambda p: _is_admin(p) or (p.role == Role.OFFICER and p.agency == "A")),
)
MEMBER_OR_ADMIN = Policy(
    "serving panel member (admins may look)", _logged_in(lambda p: p.member or _is_admin(p))
)
MEMBER = Policy("serving panel member", _logged_in(lambda p: p.member))
SEES_HIDDEN = Policy(
    "author or moderator (a withdrawn or hidden idea)",
    lambda p: ALLOWED if p.author or p.role in (Role.MODERATOR, Role.ADMIN) else DENIED,
)
VOTER = Policy("voter for the proposal's idea", _logged_in(lambda p: p.voter))


def roles(*allowed: Role) -> Policy:
    """Logged in with one of `allowed` roles; administrators pass every role check."""
    names = ",".join(r.value for r in allowed)
    return Policy(f"roles({names})", _logged_in(lambda p: _is_admin(p) or p.role in allowed))


ADMIN = roles(Role.ADMIN)
MODERATOR = roles(Role.MODERATOR)
CLERK = roles(Role.CLERK)
OFFICER = roles(Role.OFFICER)


@dataclass(frozen=True)
class Rule:
    """The policy of one route, and how the matrix calls it.

    params: URL parameters that differ from the world's defaults (name → key of
        World.alternatives). data: form fields sent besides the CSRF token.
    unaudited: personas whose refusal is known NOT to be audited (a finding to fix; the
        matrix fails once the refusal is audited, so the entry gets removed).
    """

    policy: Policy
    params: Mapping[str, str] = field(default_factory=dict)
    data: Mapping[str, str] = field(default_factory=dict)
    effect: str = ""
    unaudited: frozenset[str] = frozenset()
    note: str = ""


# An entry: a policy, a rule, several rules (cases on different world objects), or a
# mapping from HTTP method to one of those.
Case = Rule | Policy
SUBMITTED = {"idea_id": "submitted_idea_id"}  # the resident's idea waiting for screening
WITHDRAWN = {"idea_id": "withdrawn_idea_id"}  # the resident's withdrawn idea
HIDDEN_UNAUDITED: dict[str, Any] = {
    "note": "A withdrawn or hidden idea is refused as 404, audited (proposals/views.py "
    "_visible_idea).",
}
Entry = Case | list[Case] | Mapping[str, Case | list[Case]]

POLICY: dict[str, Entry] = {
    # --- framework and public pages ---
    "static": PUBLIC,
    "public.home": PUBLIC,
    "public.set_language": Rule(PUBLIC, data={"lang": "en"}),
    "public.health": PUBLIC,
    # --- accounts ---
    "accounts.signup": PUBLIC,
    "accounts.confirm": PUBLIC,
    "accounts.confirm_post": PUBLIC,
    "accounts.resend_confirmation": PUBLIC,
    "accounts.login": PUBLIC,
    "accounts.logout": PUBLIC,
    "accounts.request_reset": PUBLIC,
    "accounts.reset": PUBLIC,
    "accounts.profile": LOGGED_IN,
    "accounts.save_profile": LOGGED_IN,
    "accounts.change_password": LOGGED_IN,
    "notifications.preferences": LOGGED_IN,
    "notifications.unsubscribe": Rule(PUBLIC, params={"token": "unsubscribe_token"}),
    "privacy.index": LOGGED_IN,
    "privacy.export": LOGGED_IN,
    "privacy.erase": LOGGED_IN,
    # --- administration ---
    "admin.index": ADMIN,
    "admin.users": ADMIN,
    "admin.user": ADMIN,
    "admin.change_role": Rule(ADMIN, data={"role": "moderator"}),
    "admin.set_active": ADMIN,
    "admin.agency_list": ADMIN,
    "admin.new_agency": ADMIN,
    "admin.edit_agency": ADMIN,
    "admin.agency": OFFICER_OF_A,
    "admin.audit_log": ADMIN,
    "mail.outbox": ADMIN,
    "mail.message": ADMIN,
    "mail.retry": ADMIN,
    # --- register, panels, waves, replies ---
    "panels.register": ADMIN,
    "panels.upload_register": ADMIN,
    "panels.register_import": ADMIN,
    "panels.manage_panels": ADMIN,
    "panels.new_panel": ADMIN,
    "panels.edit_panel": ADMIN,
    "panels.panel_detail": ADMIN,
    "panels.add_quota": ADMIN,
    "panels.remove_quota": ADMIN,
    "panels.draw_wave": ADMIN,
    "panels.wave_detail": CLERK,
    "panels.wave_letters": CLERK,
    "panels.clerk_desk": CLERK,
    "panels.clerk_lookup": CLERK,
    "panels.clerk_invitation": CLERK,
    "panels.clerk_issue_code": CLERK,
    "panels.verify": LOGGED_IN,
    "reply.start": PUBLIC,
    "reply.answer": PUBLIC,
    "reply.done": PUBLIC,
    # --- panel draw, membership and work (administration) ---
    "panels.panel_draw": ADMIN,
    "panels.prepare_draw": ADMIN,
    "panels.publish_draw": ADMIN,
    "panels.seed_draw": ADMIN,
    "panels.panel_members": ADMIN,
    "panels.confirm_member": ADMIN,
    "panels.end_member": ADMIN,
    "panels.add_expense": ADMIN,
    "panels.manage_work": ADMIN,
    "panels.plan_meeting": ADMIN,
    "panels.record_attendance": ADMIN,
    "panels.add_step": ADMIN,
    "panels.open_vote": ADMIN,
    "panels.close_vote": ADMIN,
    "panels.submit": ADMIN,
    # --- panels in public and the members' workspace ---
    "panels.public_list": PUBLIC,
    "panels.public_page": PUBLIC,
    "panels.workspace": MEMBER_OR_ADMIN,
    # Admins pass the workspace check, then the service refuses them with a message.
    "panels.rate_step": Rule(MEMBER, data={"score": "4"}, effect="panel.step_rated"),
    "panels.draft_recommendation": Rule(
        MEMBER,
        data={"title": "Fewer forms", "body": "One form.", "step_id": "0"},
        effect="panel.recommendation_drafted",
    ),
    "panels.comment": Rule(MEMBER, data={"body": "Agreed."}, effect="panel.recommendation_comment"),
    "panels.vote": Rule(MEMBER, data={"choice": "yes"}, effect="vote.cast"),
    # --- ideas ---
    "proposals.static": Rule(PUBLIC, params={"filename": "proposals_static_filename"}),
    "proposals.index": PUBLIC,
    "proposals.similar": PUBLIC,
    "proposals.detail": [PUBLIC, Rule(SEES_HIDDEN, params=WITHDRAWN, **HIDDEN_UNAUDITED)],
    "proposals.new": LOGGED_IN,
    "proposals.edit": [
        AUTHOR,
        Rule(AUTHOR, params=SUBMITTED),
        Rule(AUTHOR, params=WITHDRAWN, **HIDDEN_UNAUDITED),
    ],
    "proposals.withdraw": [AUTHOR, Rule(AUTHOR, params=SUBMITTED)],
    "proposals.vote": Rule(
        VERIFIED,
        note="Unverified accounts get the 'verify your account' page (403), audited.",
    ),
    "proposals.unvote": LOGGED_IN,
    "proposals.follow": LOGGED_IN,
    "proposals.unfollow": LOGGED_IN,
    "proposals.report": LOGGED_IN,
    "proposals.queue": MODERATOR,
    "proposals.screen": MODERATOR,
    "proposals.accept": MODERATOR,
    "proposals.restore": MODERATOR,
    "proposals.reject": MODERATOR,
    "proposals.merge": MODERATOR,
    # --- agency inbox and public accountability ---
    "inbox.index": OFFICER,
    "inbox.item": OFFICER_OF_A,
    "inbox.assign": OFFICER_OF_A,
    "inbox.add_note": OFFICER_OF_A,
    "inbox.save_answer": OFFICER_OF_A,
    "inbox.publish": OFFICER_OF_A,
    "inbox.add_progress": OFFICER_OF_A,
    "agencies.agencies": PUBLIC,
    "agencies.agency": PUBLIC,
    "agencies.proposal": PUBLIC,
    "agencies.rate": Rule(
        VOTER,
        data={"score": "4"},
        effect="proposal.rated",
        note="Only (still) voters may rate an idea's proposal (issue 6: 'if they voted for "
        "the idea or sit on the panel'); refusals are audited.",
    ),
    # --- public draws ---
    "draws.index": PUBLIC,
    "draws.detail": PUBLIC,
    "draws.record": PUBLIC,
    "draws.result": PUBLIC,
    "draws.features": PUBLIC,
    "draws.people": PUBLIC,
    # --- pilots ---
    "pilots.index": PUBLIC,
    "pilots.detail": PUBLIC,
    "pilots.volunteer": Rule(VERIFIED, effect="pilot.volunteered"),
    "pilots.unvolunteer": LOGGED_IN,
    "pilots.feedback": LOGGED_IN,
    "pilots.evaluate": LOGGED_IN,
    "pilots.agency": OFFICER,
    "pilots.new": OFFICER_OF_A,
    "pilots.manage": OFFICER_OF_A,
    "pilots.edit": OFFICER_OF_A,
    "pilots.add_criterion": OFFICER_OF_A,
    "pilots.remove_criterion": OFFICER_OF_A,
    "pilots.recruit": OFFICER_OF_A,
    "pilots.quotas": OFFICER_OF_A,
    "pilots.prepare": OFFICER_OF_A,
    "pilots.publish": OFFICER_OF_A,
    "pilots.seed": OFFICER_OF_A,
    "pilots.start": OFFICER_OF_A,
    "pilots.end": OFFICER_OF_A,
    "pilots.decide": OFFICER_OF_A,
    "pilots.rollout": OFFICER_OF_A,
    "pilots.rollout_done": OFFICER_OF_A,
    # --- dashboard and open data ---
    "dashboard.index": PUBLIC,
    "dashboard.panels": PUBLIC,
    "dashboard.section_csv": PUBLIC,
    "dashboard.panel_csv": PUBLIC,
    "dashboard.plotly_js": PUBLIC,
    "api.index": PUBLIC,
    "api.openapi": PUBLIC,
    "api.ideas": PUBLIC,
    "api.idea": PUBLIC,
    "api.ballots": PUBLIC,
    "api.ballot": PUBLIC,
    "api.proposals": PUBLIC,
    "api.proposal": PUBLIC,
    "api.panels": PUBLIC,
    "api.panel": PUBLIC,
    "api.draws": PUBLIC,
    "api.draw": PUBLIC,
    "api.pilots": PUBLIC,
    "api.pilot": PUBLIC,
    "api.agencies": PUBLIC,
    "api.agency": PUBLIC,
}


def rules_for(endpoint: str, method: str) -> list[Rule]:
    """The declared cases of one route and method; empty when nobody declared one."""
    entry: Any = POLICY.get(endpoint)
    if isinstance(entry, Mapping):
        entry = entry.get(method)
    cases = entry if isinstance(entry, list | tuple) else [entry] if entry else []
    return [Rule(case) if isinstance(case, Policy) else case for case in cases]
