"""The OpenAPI 3.1 document of /api/v1, written out by hand so it states exactly what the
views send (schemathesis checks every response against it in the test suite)."""

from __future__ import annotations

from typing import Any

from civic.api.draw_records import PublicDrawStatus
from civic.api.params import DEFAULT_LIMIT, MAX_ID, MAX_LIMIT, MAX_OFFSET, TEXT_MAX
from civic.draws.models import DrawAlgorithm
from proposals.answers import FINAL_KINDS
from proposals.models import AnswerKind, OriginType, ProgressStatus, ProposalStatus
from proposals.pilot_models import Outcome as PilotOutcome
from proposals.pilot_models import PilotStatus
from proposals.rules import PUBLIC_STATUSES, IdeaStatus, RejectReason
from voting.rules import BallotStatus, Outcome

COLLECTIONS = ("ideas", "ballots", "proposals", "panels", "agencies", "draws", "pilots")
NO_CONTROL_CHARS = "^[^\\u0000-\\u001f\\u007f]*$"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(kind: str, **extra: Any) -> dict[str, Any]:
    return {"type": [kind, "null"], **extra}


def _object(properties: dict[str, Any], description: str = "") -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "required": sorted(properties),
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    return schema


def _values(kind: Any, only: Any = None) -> list[str]:
    return sorted(str(m.value) for m in (only if only is not None else kind))


INT = {"type": "integer"}
STR = {"type": "string"}
MOMENT = {"type": "string", "format": "date-time"}
PCT = _nullable("number", minimum=0, maximum=100)


def _schemas() -> dict[str, Any]:
    counts = {"yes": INT, "no": INT, "abstain": INT, "total": INT}
    figures = {
        "ideas": INT, "reached": INT, "proposals": INT, "open": INT, "overdue": INT,
        "answered": _nullable("integer"), "answered_on_time_pct": PCT,
        "median_days_to_answer": _nullable("number", minimum=0), "adoption_rate_pct": PCT,
        "rating": _nullable("number"),
    }  # fmt: skip
    return {
        "Problem": {
            "type": "object",
            "description": "An error as RFC 9457 problem details.",
            "properties": {"type": STR, "title": STR, "status": INT, "parameter": STR},
            "required": ["status", "title", "type"],
        },
        "AgencyRef": _object({"id": INT, "slug": STR, "name": STR}),
        "Idea": _object(
            {
                "id": INT,
                "title": STR,
                "problem": STR,
                "proposed_change": STR,
                "service_area": STR,
                "status": {"type": "string", "enum": _values(IdeaStatus, PUBLIC_STATUSES)},
                "agency": _ref("AgencyRef"),
                "author": _nullable("string", description="Only a name the author made public."),
                "submitted_at": MOMENT,
                "screened_at": _nullable("string", format="date-time"),
                "reject_reason": {"enum": [*_values(RejectReason), None]},
                "reject_text": _nullable("string"),
                "merged_into_id": _nullable("integer"),
                "ballot_id": _nullable("integer"),
            },
            "A public idea (hidden and withdrawn ideas are left out).",
        ),
        "Counts": _object(counts),
        "Ballot": _object(
            {
                "id": INT,
                "subject_type": STR,
                "subject_id": INT,
                "opens_at": MOMENT,
                "closes_at": MOMENT,
                "threshold": _nullable("integer"),
                "quorum": _nullable("integer"),
                "status": {"type": "string", "enum": _values(BallotStatus)},
                "outcome": {"enum": [*_values(Outcome), None]},
                "closed_at": _nullable("string", format="date-time"),
                "merged_into_id": _nullable("integer"),
                "counts": _ref("Counts"),
            }
        ),
        "Proposal": _object(
            {
                "id": INT,
                "origin_type": {"type": "string", "enum": _values(OriginType)},
                "origin_id": INT,
                "agency": _ref("AgencyRef"),
                "title": STR,
                "summary": STR,
                "created_at": MOMENT,
                "response_due_at": MOMENT,
                "status": {"type": "string", "enum": _values(ProposalStatus)},
                "overdue": {"type": "boolean"},
                "answer_kind": {"enum": [*_values(AnswerKind, FINAL_KINDS), None]},
                "answered_at": _nullable("string", format="date-time"),
                "done_at": _nullable("string", format="date-time"),
                "answers": {"type": "array", "items": _ref("Answer")},
                "progress": {"type": "array", "items": _ref("ProgressUpdate")},
                "rating": _object(
                    {
                        "average": _nullable("number", minimum=1, maximum=5),
                        "count": {"type": "integer", "minimum": 0},
                    }
                ),
            },
            "A proposal with every published answer version and its progress history.",
        ),
        "Answer": _object(
            {
                "version": {"type": "integer", "minimum": 1},
                "kind": {"type": "string", "enum": _values(AnswerKind)},
                "summary": STR,
                "explanation": STR,
                "reason": _nullable("string"),
                "new_due_at": _nullable("string", format="date-time"),
                "published_at": MOMENT,
            },
            "A published, immutable answer version (comply or explain).",
        ),
        "ProgressUpdate": _object(
            {
                "status": {"type": "string", "enum": _values(ProgressStatus)},
                "percent": {"type": "integer", "minimum": 0, "maximum": 100},
                "milestone": STR,
                "on_date": {"type": "string", "format": "date"},
                "reported_at": MOMENT,
            }
        ),
        "AgencyFigures": _object(figures),
        "Agency": _object(
            {
                "id": INT,
                "slug": STR,
                "name": STR,
                "service_areas": {"type": "array", "items": STR},
                "response_days": INT,
                "figures": _ref("AgencyFigures"),
            }
        ),
        "ValueShare": _object(
            {
                "value": STR,
                "members": INT,
                "member_pct": {"type": "number"},
                "population": INT,
                "population_pct": {"type": "number"},
            }
        ),
        "FeatureComposition": _object(
            {
                "feature": {"type": "string", "enum": ["age", "area", "gender"]},
                "values": {"type": "array", "items": _ref("ValueShare")},
            }
        ),
        "Quota": _object(
            {
                "feature": STR,
                "value": STR,
                "kind": {"type": "string", "enum": ["count", "share"]},
                "min_count": _nullable("integer"),
                "max_count": _nullable("integer"),
                "share_percent": _nullable("number"),
                "tolerance_percent": _nullable("number"),
            }
        ),
        "InvitationWave": _object(
            {
                "number": INT,
                "wave_date": {"type": "string", "format": "date"},
                "seed": STR,
                "requested": INT,
                "eligible_count": INT,
                "pool_sha256": STR,
                "reply_deadline": MOMENT,
            },
            "A stage-1 draw record: who was eligible (as a hash) and the public seed.",
        ),
        "Panel": _object(
            {
                "id": INT,
                "title": STR,
                "description": STR,
                "topic_kind": {
                    "type": "string",
                    "enum": ["customer_journey", "life_event", "service"],
                },
                "agency": _ref("AgencyRef"),
                "status": {"type": "string", "enum": ["active", "closed", "recruiting"]},
                "size": INT,
                "term_months": INT,
                "rotation_months": INT,
                "rotation_percent": INT,
                "created_at": MOMENT,
                "members": INT,
                "composition": {"type": "array", "items": _ref("FeatureComposition")},
                "quotas": {"type": "array", "items": _ref("Quota")},
                "invitation_waves": {"type": "array", "items": _ref("InvitationWave")},
                "draws": {"type": "array", "items": _ref("DrawRef")},
            }
        ),
        **_draw_schemas(),
        **_pilot_schemas(),
        "Links": _object(
            {
                "self": STR,
                "first": STR,
                "prev": _nullable("string"),
                "next": _nullable("string"),
            }
        ),
    }


def _draw_schemas() -> dict[str, Any]:
    status = {"type": "string", "enum": _values(PublicDrawStatus)}
    pseudonyms = {"type": ["array", "null"], "items": STR}
    link_names = ("self", "page", "record", "result", "features", "people")
    return {
        "DrawLinks": _object(
            {n: STR for n in link_names},
            "The API object, the public page and the files `python -m sortition verify` reads.",
        ),
        "DrawRef": _object({"id": INT, "status": status, "links": _ref("DrawLinks")}),
        "DrawQuota": _object({"feature": STR, "value": STR, "min": INT, "max": INT}),
        "Draw": _object(
            {
                "id": INT,
                "purpose": {"type": "string", "description": "panel or pilot"},
                "subject_id": {"type": "integer", "description": "The panel's or pilot's id."},
                "k": {"type": "integer", "minimum": 1},
                "n": {"type": "integer", "minimum": 1, "description": "Size of the pool."},
                "algorithm": {"type": "string", "enum": _values(DrawAlgorithm)},
                "version": STR,
                "status": status,
                "record_sha256": STR,
                "pool_sha256": STR,
                "quotas_sha256": _nullable("string"),
                "lottery_sha256": _nullable("string"),
                "lottery_m": _nullable("integer", minimum=1),
                "quotas": {"type": "array", "items": _ref("DrawQuota")},
                "seed": _nullable("string"),
                "selected": {**pseudonyms, "description": "Pseudonyms, sorted."},
                "reserve": {**pseudonyms, "description": "Pseudonyms, in reserve order."},
                "published_at": MOMENT,
                "drawn_at": _nullable("string", format="date-time"),
                "links": _ref("DrawLinks"),
            },
            "A public draw by lot: the record (published before the seed existed), then the "
            "seed and the selection. Seed, selected and reserve are null until drawn.",
        ),
    }


def _pilot_schemas() -> dict[str, Any]:
    verdicts = {"met": INT, "partly": INT, "not_met": INT, "total": INT}
    return {
        "Evaluation": _object(verdicts, "How many testers answered met, partly, not met."),
        "Criterion": _object(
            {
                "id": INT,
                "position": INT,
                "statement": STR,
                "target": STR,
                "evaluation": {"oneOf": [_ref("Evaluation"), {"type": "null"}]},
            },
            "A success criterion, fixed before recruitment.",
        ),
        "DecisionReason": _object({"criterion_id": INT, "met": {"type": "boolean"}, "reason": STR}),
        "Decision": _object(
            {
                "outcome": {"type": "string", "enum": _values(PilotOutcome)},
                "summary": STR,
                "decided_at": MOMENT,
                "reasons": {"type": "array", "items": _ref("DecisionReason")},
            }
        ),
        "Rollout": _object(
            {
                "planned_for": {"type": "string", "format": "date"},
                "note": STR,
                "planned_at": MOMENT,
                "done_at": _nullable("string", format="date-time"),
            }
        ),
        "Pilot": _object(
            {
                "id": INT,
                "title": STR,
                "description": STR,
                "status": {"type": "string", "enum": _values(PilotStatus)},
                "agency": _ref("AgencyRef"),
                "proposal_id": INT,
                "testers": {"type": "integer", "minimum": 1},
                "duration_weeks": {"type": "integer", "minimum": 1},
                "volunteers": {"type": "integer", "minimum": 0},
                "testers_drawn": {"type": "integer", "minimum": 0},
                "created_at": MOMENT,
                "recruiting_at": _nullable("string", format="date-time"),
                "starts_at": _nullable("string", format="date-time"),
                "ends_at": _nullable("string", format="date-time"),
                "evaluating_at": _nullable("string", format="date-time"),
                "criteria": {"type": "array", "items": _ref("Criterion")},
                "decision": {"oneOf": [_ref("Decision"), {"type": "null"}]},
                "rollout": {"oneOf": [_ref("Rollout"), {"type": "null"}]},
                "draw": {"oneOf": [_ref("DrawRef"), {"type": "null"}]},
            },
            "A pilot: testers as counts only, evaluation as verdict counts (no tester, no "
            "feedback or comment). Criteria are empty while being written.",
        ),
    }


def _page_schema(item: str) -> dict[str, Any]:
    return _object(
        {
            "items": {"type": "array", "items": _ref(item)},
            "total": {"type": "integer", "minimum": 0},
            "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
            "offset": {"type": "integer", "minimum": 0},
            "links": _ref("Links"),
        }
    )


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


def _text_param(name: str, description: str) -> dict[str, Any]:
    schema = {"type": "string", "maxLength": TEXT_MAX, "pattern": NO_CONTROL_CHARS}
    return _query(name, schema, description)


def _parameters() -> dict[str, Any]:
    return {
        "limit": _query(
            "limit",
            {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
            "Items per page.",
        ),
        "offset": _query(
            "offset",
            {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0},
            "Items to skip.",
        ),
        "area": _text_param("area", "Service area (ignoring case)."),
        "agency": _text_param("agency", "Agency slug."),
        "ifNoneMatch": {"name": "If-None-Match", "in": "header", "required": False, "schema": STR},
        "ifModifiedSince": {
            "name": "If-Modified-Since",
            "in": "header",
            "required": False,
            "schema": STR,
        },
    }


def _param(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/parameters/{name}"}


def _headers() -> dict[str, Any]:
    return {
        "ETag": {"schema": STR, "description": "Changes whenever the data change."},
        "Last-Modified": {"schema": STR, "description": "When the data last changed."},
        "Cache-Control": {"schema": STR},
    }


def _ok(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "200": {
            "description": description,
            "headers": _headers(),
            "content": {"application/json": {"schema": schema}},
        },
        "304": {
            "description": "Not modified since the copy the client holds.",
            "headers": _headers(),
        },
    }


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": _ref("Problem")}},
    }


CONDITIONAL = [_param("ifNoneMatch"), _param("ifModifiedSince")]


def _collection(tag: str, item: str, summary: str, filters: list[Any]) -> dict[str, Any]:
    return {
        "get": {
            "operationId": f"list_{tag}",
            "tags": [tag],
            "summary": summary,
            "parameters": [_param("limit"), _param("offset"), *filters, *CONDITIONAL],
            "responses": {
                **_ok(_ref(f"{item}Page"), "One page of the collection."),
                "400": _problem("A query parameter has a value the API does not accept."),
            },
        }
    }


def _single(tag: str, item: str, summary: str) -> dict[str, Any]:
    path_id = {
        "name": "id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
    }
    return {
        "get": {
            "operationId": f"get_{tag}",
            "tags": [tag],
            "summary": summary,
            "parameters": [path_id, *CONDITIONAL],
            "responses": {
                **_ok(_ref(item), "The object."),
                "404": _problem("No such public object."),
            },
        }
    }


def _status(values: list[str]) -> dict[str, Any]:
    return _query("status", {"type": "string", "enum": values}, "Only objects in this state.")


def _paths() -> dict[str, Any]:
    index = _object({"links": _object({n: STR for n in (*COLLECTIONS, "openapi")})})
    return {
        "/": {
            "get": {
                "operationId": "index",
                "summary": "Links to every collection.",
                "parameters": CONDITIONAL,
                "responses": _ok(index, "The links."),
            }
        },
        "/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This document.",
                "parameters": CONDITIONAL,
                "responses": _ok({"type": "object"}, "The OpenAPI document."),
            }
        },
        "/ideas": _collection(
            "ideas",
            "Idea",
            "Public ideas, newest first.",
            [_status(_values(IdeaStatus)), _param("area"), _param("agency")],
        ),
        "/ideas/{id}": _single("ideas", "Idea", "One public idea."),
        "/ballots": _collection(
            "ballots",
            "Ballot",
            "Ballots, newest first, with counts per choice.",
            [
                _status(_values(BallotStatus)),
                _text_param("subject_type", "What the ballot is about (idea, recommendation)."),
            ],
        ),
        "/ballots/{id}": _single("ballots", "Ballot", "One ballot with counts per choice."),
        "/proposals": _collection(
            "proposals",
            "Proposal",
            "Proposals in the agencies' inboxes, newest first.",
            [_status(_values(ProposalStatus)), _param("agency")],
        ),
        "/proposals/{id}": _single("proposals", "Proposal", "One proposal."),
        "/panels": _collection(
            "panels", "Panel", "Panels with their composition against the population.", []
        ),
        "/panels/{id}": _single("panels", "Panel", "One panel."),
        "/agencies": _collection("agencies", "Agency", "Agencies with their figures.", []),
        "/agencies/{id}": _single("agencies", "Agency", "One agency with its figures."),
        "/draws": _collection(
            "draws",
            "Draw",
            "Published and drawn draws by lot, newest first.",
            [
                _status(_values(PublicDrawStatus)),
                _text_param("purpose", "What the draw is for (panel, pilot)."),
                _query(
                    "subject_id",
                    {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                    "Only draws of this panel or pilot (with purpose).",
                ),
            ],
        ),
        "/draws/{id}": _single("draws", "Draw", "One public draw by lot."),
        "/pilots": _collection(
            "pilots",
            "Pilot",
            "Pilots, newest first.",
            [_status(_values(PilotStatus)), _param("agency")],
        ),
        "/pilots/{id}": _single("pilots", "Pilot", "One pilot."),
    }


def openapi_document() -> dict[str, Any]:
    """The whole document."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Civic open data",
            "version": "1.0.0",
            "description": (
                "Read-only public data of Civic: ideas, ballots, proposals, panels, "
                "agencies, draws by lot and pilots. No personal data: no e-mail addresses, "
                "no register ids, names only where people chose a public name. Every "
                "response carries an ETag and Last-Modified; send them back to get 304 Not "
                "Modified."
            ),
            "license": {"name": "EUPL-1.2", "identifier": "EUPL-1.2"},
        },
        "servers": [{"url": "/api/v1"}],
        "paths": _paths(),
        "components": {
            "schemas": {
                **_schemas(),
                **{
                    f"{n}Page": _page_schema(n)
                    for n in ("Idea", "Ballot", "Proposal", "Panel", "Agency", "Draw", "Pilot")
                },
            },
            "parameters": _parameters(),
        },
    }
