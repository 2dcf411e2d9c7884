"""`flask --app civic scheduler`, as the crash tests run it: with the test's clock and an
on_close hook for ballots on the test subject "crashtest".

CIVIC_TEST_FREEZE (ISO time): the clock of this process stands still there, so two processes
agree on the job slots and a restarted one can be put in the next slot.
CRASH_CLOSE_MARKER: the first process to have closed CRASH_AFTER_CLOSES ballots in one sweep
claims this file, writes its pid in it and blocks inside the sweep's transaction until
killed (or until CRASH_RELEASE names a file that exists).
The hook writes one audit row per closed ballot: the side effect that must happen once.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

SUBJECT = "crashtest"
_closed_in_this_process = 0


def _hold_if_chosen() -> None:
    marker = os.environ.get("CRASH_CLOSE_MARKER")
    if not marker or _closed_in_this_process < int(os.environ.get("CRASH_AFTER_CLOSES", "1")):
        return
    try:
        fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return
    os.write(fd, str(os.getpid()).encode())
    os.close(fd)
    release = os.environ.get("CRASH_RELEASE")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (release and Path(release).exists()):
        time.sleep(0.05)


def on_close(ballot: Any) -> None:
    """The side effect: one audit row per closed ballot, in the closing transaction."""
    from civic import audit

    global _closed_in_this_process
    audit.record("scheduler", "crashtest.side_effect", ballot, after={"pid": os.getpid()})
    _closed_in_this_process += 1
    _hold_if_chosen()


def main() -> None:
    from flask.cli import main as flask_main

    from civic import clock
    from voting import services

    frozen = os.environ.get("CIVIC_TEST_FREEZE")
    if frozen:
        clock.freeze(datetime.fromisoformat(frozen))
    services.on_close(SUBJECT, on_close)
    sys.argv = ["flask", "--app", "civic", "scheduler"]
    flask_main()


if __name__ == "__main__":
    main()
