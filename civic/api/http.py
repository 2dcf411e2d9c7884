"""Conditional JSON responses: ETag and Last-Modified from the data version, 304 when fresh."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Response, request

from civic import clock
from civic.dashboard.cache import cached, request_version
from civic.dashboard.freshness import changed_at

CACHE_CONTROL = "public, no-cache"


def _validators(clock_bound: bool) -> tuple[str, datetime | None, datetime | None]:
    """(ETag, Last-Modified, minute) of this URL at the current data version.

    Clock-bound resources (overdue flags) also change when time passes, so their
    validators include the current minute."""
    version = request_version()
    minute = clock.now().replace(second=0, microsecond=0) if clock_bound else None
    seed = f"{version}|{minute.isoformat() if minute else ''}|{request.full_path}"
    etag = hashlib.sha256(seed.encode()).hexdigest()[:32]
    moments = [m for m in (changed_at(version), minute) if m is not None]
    return etag, (max(moments) if moments else None), minute


def _not_modified(etag: str, last_modified: datetime | None) -> bool:
    if request.if_none_match:
        return request.if_none_match.contains(etag)
    since = request.if_modified_since
    return bool(since and last_modified and last_modified.replace(microsecond=0) <= since)


def _headers(response: Response, etag: str, last_modified: datetime | None) -> Response:
    response.set_etag(etag)
    if last_modified is not None:
        response.last_modified = last_modified
    response.headers["Cache-Control"] = CACHE_CONTROL
    return response


def conditional_json(build: Callable[[], Any], *, clock_bound: bool = False) -> Response:
    """Answer 304 when the client's copy is current, else the JSON `build()` makes (cached
    per URL and data version).

    The body is built (or taken from the cache) before the 304 decision, so a missing
    object is a 404 and a bad parameter a 400 whatever validators the client sends."""
    etag, last_modified, minute = _validators(clock_bound)
    body = cached("api", (request.full_path, minute), lambda: json.dumps(build()))
    if _not_modified(etag, last_modified):
        return _headers(Response(status=304), etag, last_modified)
    return _headers(Response(body, mimetype="application/json"), etag, last_modified)
