"""schemathesis drives every operation of /api/v1/openapi.json in-process (WSGI) and checks
that no response is a server error or breaks the documented schema.

Positive cases (valid parameters) and negative cases (invalid ones, which must be refused
with a documented 4xx) for every operation. `schemathesis.pytest.from_fixture` does not
run under pytest 9, so the test drives hypothesis itself with each operation's strategy.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests.api.draw_world import seed_draw_world

EXAMPLES = {GenerationMode.POSITIVE: 40, GenerationMode.NEGATIVE: 20}


def _operations(app: Flask) -> list[Any]:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


@pytest.mark.parametrize("mode", list(EXAMPLES), ids=lambda m: m.value)
def test_api_matches_its_openapi_document(app: Flask, mode: GenerationMode) -> None:
    seed_draw_world(app)  # the dashboard world plus draws and pilots in every public state
    operations = _operations(app)
    assert len(operations) >= 15  # schemathesis may skip the document itself
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES[mode],
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            case.call_and_validate()

        try:
            check()
        except Unsatisfiable:
            # Nothing to negate: the operation takes only free-text headers.
            assert mode == GenerationMode.NEGATIVE and operation.path in ("/", "/openapi.json")
