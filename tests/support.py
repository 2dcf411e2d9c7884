"""Helpers shared by tests (importable, unlike conftest)."""

from __future__ import annotations

import os
import re
import socket
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from flask.testing import FlaskClient

_CSRF_RE = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|'
    r'name="csrf_token" value="([^"]+)"'
)


def csrf_token(client: FlaskClient, url: str) -> str:
    """GET a page and return the CSRF token from its first form."""
    page = client.get(url).get_data(as_text=True)
    match = _CSRF_RE.search(page)
    assert match, f"no CSRF token on {url}"
    return match.group(1) or match.group(2)


def require(kind: str) -> bool:
    """True when CI demands `kind` (browser, postgres) instead of allowing a skip."""
    return os.environ.get(f"CIVIC_REQUIRE_{kind.upper()}") == "1"


@dataclass
class SmtpSink:
    """Messages received by the aiosmtpd server, parsed."""

    host: str
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    controller: Any = None

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    def stop(self) -> None:
        self.controller.stop()

    def start(self) -> None:
        """Start again after `stop` (aiosmtpd closes its loop on stop, so build a new one)."""
        from aiosmtpd.controller import Controller

        self.controller = Controller(self.controller.handler, hostname=self.host, port=self.port)
        self.controller.start()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
