"""`flask register import FILE` and `flask register stats`."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from civic.errors import CivicError
from civic.extensions import db
from panels.register import ImportResult, import_register, register_stats

CLI_ACTOR = "cli"


def _print_result(result: ImportResult) -> None:
    record = result.record
    if result.ok:
        click.echo(
            _(
                "Imported %(file)s: %(total)s rows; %(added)s added, %(updated)s changed, "
                "%(unchanged)s unchanged, %(absent)s marked absent.",
                file=record.file_name,
                total=record.total_rows,
                added=record.added,
                updated=record.updated,
                unchanged=record.unchanged,
                absent=record.marked_absent,
            )
        )
        return
    for error in result.errors:
        click.echo(error.message)
    if result.omitted:
        click.echo(_("And %(count)s more problems.", count=result.omitted))
    click.echo(_("Nothing was imported (%(count)s problems).", count=result.error_count), err=True)


def _import(path: Path) -> ImportResult:
    size = path.stat().st_size
    with (
        path.open("rb") as stream,
        click.progressbar(
            length=max(2 * size, 1), label=_("Checking and importing"), file=sys.stderr
        ) as bar,
    ):
        result = import_register(stream, path.name, CLI_ACTOR, progress=bar.update)
    db.session.commit()
    return result


def register(app: Flask) -> None:
    """Add the `register` command group."""

    @app.cli.group("register")
    def register_group() -> None:
        """The population register."""

    @register_group.command("import")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--lang", help="Language of the messages: nl or en (default: the app's).")
    def import_command(file: Path, lang: str | None) -> None:
        """Check FILE (CSV) and import it all or nothing; exit 1 listing every bad row."""
        with force_locale(lang or current_app.config["BABEL_DEFAULT_LOCALE"]):
            try:
                result = _import(file)
            except CivicError as error:
                db.session.rollback()
                click.echo(str(error.message), err=True)
                sys.exit(1)
            _print_result(result)
        if not result.ok:
            sys.exit(1)

    @register_group.command("stats")
    def stats_command() -> None:
        """Count people by status and, for active people, by area."""
        stats = register_stats()
        for title, rows in (("status", stats["status"]), ("area (active)", stats["area"])):
            click.echo(f"by {title}:")
            width = max((len(name) for name, _n in rows), default=0)
            for name, count in rows:
                click.echo(f"  {name:<{width}}  {count:>9,}")
            click.echo(f"  {'total':<{width}}  {sum(n for _k, n in rows):>9,}")
