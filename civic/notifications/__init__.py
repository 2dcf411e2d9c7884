"""Notifications: residents hear of what happens to proposals they care about, as a digest.

`services.notify` queues rows; the `notifications.send_digests` job sends one e-mail per
person per period (immediately, daily, weekly, never) through the outbox. See docs/inbox.md.
"""

from flask import Blueprint

from civic.scheduling import register_job

bp = Blueprint("notifications", __name__)

from civic.notifications import jobs, views  # noqa: E402,F401

register_job("notifications.send_digests", jobs.send_digests, seconds=jobs.EVERY_SECONDS)
