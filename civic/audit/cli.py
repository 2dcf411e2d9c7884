"""`flask audit verify`."""

from __future__ import annotations

import sys

import click
from flask import Flask

from civic.audit.services import verify_chain


def register(app: Flask) -> None:
    """Add the `audit` command group."""

    @app.cli.group("audit")
    def audit() -> None:
        """The audit log."""

    @audit.command("verify")
    def verify() -> None:
        """Check the hash chain; exit 1 naming the first broken row."""
        count, broken = verify_chain()
        if broken is None:
            click.echo(f"Audit chain intact: {count} rows checked.")
            return
        seq, reason = broken
        click.echo(f"Audit chain BROKEN at row seq={seq}: {reason}.", err=True)
        sys.exit(1)
