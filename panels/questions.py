"""The stratification questions a volunteer answers after saying yes.

The register lacks these features. The list is configurable with PANELS_REPLY_QUESTIONS:
a list of {"key": ..., "label": ..., "options": [[value, label], ...]} (labels as given,
not translated); the default asks for education level and digital skills.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Question:
    """One multiple-choice question."""

    key: str
    label: Any
    options: tuple[tuple[str, Any], ...]


DEFAULT_QUESTIONS = (
    Question(
        "education",
        _l("What is the highest level of education you completed?"),
        (
            ("primary", _l("Primary school or none")),
            ("secondary", _l("Secondary school (vmbo, havo, vwo)")),
            ("vocational", _l("Vocational education (mbo)")),
            ("higher", _l("Higher education (hbo, university)")),
        ),
    ),
    Question(
        "digital_skills",
        _l("How easily do you use a computer or smartphone for government matters?"),
        (
            ("none", _l("I do not use them, or only with help")),
            ("basic", _l("With some difficulty")),
            ("good", _l("Easily")),
        ),
    ),
)


def reply_questions() -> tuple[Question, ...]:
    """The configured questions (or the default ones)."""
    configured = current_app.config.get("PANELS_REPLY_QUESTIONS")
    if not configured:
        return DEFAULT_QUESTIONS
    return tuple(
        Question(q["key"], q["label"], tuple((str(v), str(t)) for v, t in q["options"]))
        for q in configured
    )
