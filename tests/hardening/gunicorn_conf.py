"""gunicorn settings of the crash tests: one worker stops in the middle of a vote.

With CRASH_MARKER set, the worker that first reaches its CRASH_AFTER_VOTES-th vote claims the
marker file (atomically, so one worker in the whole run), writes its pid there and blocks
inside the vote's transaction: the vote row, the tally and the audit row are written but not
committed. The test then kills that worker with SIGKILL; its replacement never blocks.
"""

from __future__ import annotations

import os
import time
from typing import Any

_votes = 0
# gunicorn 27+: no control socket in the home folder (older versions ignore the setting).
control_socket_disable = True


def _vote_written(session: Any, _flush_context: Any) -> None:
    from civic.audit.models import AuditEntry

    global _votes
    if not any(isinstance(o, AuditEntry) and o.action == "vote.cast" for o in session.new):
        return
    _votes += 1
    if _votes < int(os.environ.get("CRASH_AFTER_VOTES", "3")):
        return
    try:
        fd = os.open(os.environ["CRASH_MARKER"], os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return  # another worker (or this one's predecessor) crashed already
    os.write(fd, str(os.getpid()).encode())
    os.close(fd)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # held here until the test kills this process
        time.sleep(0.05)


def post_worker_init(worker: Any) -> None:
    """Arm the crash point in each new worker (only the first to get there blocks)."""
    if not os.environ.get("CRASH_MARKER"):
        return
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    event.listen(Session, "after_flush", _vote_written)
