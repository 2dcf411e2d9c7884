"""`flask mail send` and `flask mail list`."""

from __future__ import annotations

import click
from flask import Flask

from civic import clock
from civic.mail.models import OutboxStatus
from civic.mail.services import list_messages, send_pending


def register(app: Flask) -> None:
    """Add the `mail` command group."""

    @app.cli.group("mail")
    def mail() -> None:
        """The outbox."""

    @mail.command("send")
    @click.option("--limit", default=100, show_default=True, help="Most messages to send.")
    def send(limit: int) -> None:
        """Send due messages once and print what happened."""
        report = send_pending(None, limit=limit)
        click.echo(f"Mail: {report.summary()}.")

    @mail.command("list")
    @click.option(
        "--status", type=click.Choice([s.value for s in OutboxStatus]), help="Only this status."
    )
    @click.option("--limit", default=50, show_default=True, help="Most messages to show.")
    def list_(status: str | None, limit: int) -> None:
        """Show the newest messages in the outbox."""
        page = list_messages(OutboxStatus(status) if status else None, 1, per_page=limit)
        for m in page.items:
            when = clock.local(m.created_at).strftime("%Y-%m-%d %H:%M")
            click.echo(
                f"{m.id:>6}  {when}  {m.status.value:<8} {m.attempts:>2}x  {m.kind:<24} "
                f"{m.to_address}  {m.subject}"
            )
        click.echo(f"{page.total} message(s) in total.")
