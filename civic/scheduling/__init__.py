"""Scheduled sweeps: packages register jobs; a slot runs once across all processes.

`flask --app civic scheduler` runs them in its own process; with SCHEDULER_ENABLED the
development server runs them too (the database row per slot keeps the two from doubling).
"""

from __future__ import annotations

import os

from flask import Flask

from civic.scheduling.services import (
    Job,
    RunResult,
    prune_runs,
    register_job,
    registered_jobs,
    run_all_due,
    run_due,
    unregister_job,
)

__all__ = [
    "Job",
    "RunResult",
    "init_app",
    "register_job",
    "registered_jobs",
    "run_all_due",
    "run_due",
    "unregister_job",
]

register_job("scheduling.prune_runs", prune_runs, seconds=24 * 3600)


def init_app(app: Flask) -> None:
    """With SCHEDULER_ENABLED, run the scheduler inside the process that serves requests.

    The reloader's watcher process never serves, and CLI commands (db upgrade, demo, the
    `scheduler` command itself) never serve either, so only the real server starts it: at
    once in the reloader's child (WERKZEUG_RUN_MAIN), otherwise at the first request."""
    if not app.config.get("SCHEDULER_ENABLED"):
        return
    from civic.scheduling.runner import start_background

    if os.environ.get("WERKZEUG_RUN_MAIN") == "true":
        start_background(app)
        return

    @app.before_request
    def _start_scheduler() -> None:
        start_background(app)
