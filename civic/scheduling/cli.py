"""`flask scheduler`: run the registered jobs in the foreground (or once with --once)."""

from __future__ import annotations

import logging
import sys

import click
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask, current_app

from civic.scheduling.runner import build_scheduler
from civic.scheduling.services import RunResult, registered_jobs, run_all_due


def register(app: Flask) -> None:
    """Add the `scheduler` command."""

    @app.cli.command("scheduler")
    @click.option("--once", is_flag=True, help="Run every job for its current slot, then exit.")
    def scheduler(once: bool) -> None:
        """Run scheduled jobs; one such process per installation is enough."""
        application = current_app._get_current_object()  # type: ignore[attr-defined]
        if once:
            results = run_all_due(application)
            for name, result in results:
                click.echo(f"{name}: {result.value}")
            sys.exit(1 if any(r is RunResult.FAILED for _, r in results) else 0)
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
        blocking = build_scheduler(application, BlockingScheduler)
        names = ", ".join(f"{j.name} ({j.seconds} s)" for j in registered_jobs())
        click.echo(f"Scheduler running: {names}. Stop with Ctrl+C.")
        try:
            blocking.start()
        except (KeyboardInterrupt, SystemExit):
            blocking.shutdown(wait=False)
