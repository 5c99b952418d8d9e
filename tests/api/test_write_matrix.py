"""Issue 10: every write operation of the OpenAPI document, given the id of a real object the user may not see (in a
path parameter or a body field), answers 404, 403 or 422 — never 2xx, never 5xx — and stores nothing.

Generic: operations are read from /api/v1/openapi.json; an id-bearing path parameter or body field is recognised by
its name (FOREIGN). An operation whose ids are all directory data (organizations, departments, practitioners: public
by design) is listed in NO_FOREIGN_IDS; one whose foreign objects this world does not build yet is in NOT_YET with
the reason. A new write operation that is neither exercised nor listed fails the test. The world and the probing
users (tests/api/conftest.py) are shared with the page matrix (test_page_write_matrix.py).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from tests.api.conftest import state_changes, stored_state

pytestmark = pytest.mark.django_db

# Writes whose ids name only directory data (public), or none at all.
NO_FOREIGN_IDS = {
    "POST /api/v1/auth/token",
    "POST /api/v1/auth/logout",
    # a center is directory data; the decision service refuses anyone not a GP of that center (tested in care)
    "POST /api/v1/care/centers/{center_id}/protocol-decisions",
    # a center is directory data; its costs are entered by its lead and operations only: another center's lead and
    # everyone else 404, finance and auditors 403, nothing stored (tests/finance/test_chain.py)
    "POST /api/v1/finance/chain/{center_id}/costs",
    "POST /api/v1/organizations",
    "PATCH /api/v1/organizations/{row_id}",
    "POST /api/v1/departments",
    "PATCH /api/v1/departments/{row_id}",
    "POST /api/v1/practitioners",
    "PATCH /api/v1/practitioners/{row_id}",
    "POST /api/v1/site-registrations",
    "PATCH /api/v1/site-registrations/{row_id}",
    "POST /api/v1/insurance-policies",
    "PATCH /api/v1/insurance-policies/{row_id}",
    "POST /api/v1/partnerships",
    "PATCH /api/v1/partnerships/{row_id}",
    "POST /api/v1/households",
    "POST /api/v1/outreach/requests",
    "POST /api/v1/outreach/availability",
    "POST /api/v1/outreach/leave",
    "POST /api/v1/outreach/plans",
    "POST /api/v1/outreach/replans",
    "POST /api/v1/referrals/capacity",
    "POST /api/v1/care/risk",
    # anonymous triage: a complaint, an age and a sex, no id (tested in tests/triage/test_api_triage.py)
    "POST /api/v1/triage",
    # the caller's own MDT meeting hours (experts only; tested in tests/consults/test_api_expert_answers.py)
    "POST /api/v1/consults/meeting-hours",
}
# Writes naming objects this world does not build yet, with the reason (empty: the world builds every kind).
NOT_YET: dict[str, str] = {}
# Path parameters and body fields that carry the id of a patient-side object, and the world's object for each.
FOREIGN = {
    "person": "person",
    "person_id": "person",
    "persons": "person",
    "proxy": "person",
    "household": "household",
    "household_id": "household",
    "case": "case",
    "case_id": "case",
    "tc_id": "teleconsult",
    "op_id": "opinion",
    "mdt_id": "mdt",
    "referral_id": "referral",
    "consent_id": "consent",
    "team": "team",
    "contract_id": "contract",
    "enrollment_id": "enrollment",
    "followup_id": "followup",
    "suggestion_id": "suggestion",
    "request_id": "outreach_request",
    "session_id": "session",
    "session": "session",
    "booking_id": "booking",
    "plan_id": "plan",
    "assignment_id": "assignment",
    "hours_id": "meeting_hours",
    "program_id": "program",
    "rx_id": "prescription",
    "incident_id": "incident",
    "source_id": "session",
}
# Valid-looking bodies where the generated one would be refused for its shape before the id is ever looked at.
BODIES = {
    "POST /api/v1/consults/mdt": {"specialties": ["pediatrics", "cardiology"]},
    "POST /api/v1/referrals/{referral_id}/transitions": {"action": "cancel", "reason": "x"},
    "POST /api/v1/consults/teleconsults": {"specialty": "pediatrics"},
    "POST /api/v1/consults/opinions": {"specialty": "pediatrics"},
    "POST /api/v1/programs/{program_id}/actuals": {"values": {"neonates_admitted": 3}},
    "POST /api/v1/finance/incidents": {"kind": "dispute", "source_kind": "session", "summary": "x"},
    "POST /api/v1/finance/incidents/{incident_id}/transitions": {"to": "insurer_notified", "reason": "已报案"},
}
# Operations coordinate referrals, requests, plans and sessions by role: probed on clinical writes only.
CLINICAL = ("/persons", "/households", "/consults/", "/care/", "/outreach/bookings")


def _operations(client: Any) -> list[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    doc = client.get("/api/v1/openapi.json").json()
    comps = doc["components"]["schemas"]
    out = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method in ("post", "put", "patch", "delete"):
                out.append((method.upper(), path, op, comps))
    return out


def _resolve(schema: dict[str, Any], comps: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = comps[schema["$ref"].split("/")[-1]]
    return schema


def _sample(name: str, schema: dict[str, Any], comps: dict[str, Any], ids: dict[str, str]) -> Any:
    """A value of the shape ``schema`` asks for; a foreign object's id where the name says it is one."""
    schema = _resolve(schema, comps)
    options = [_resolve(s, comps) for s in schema.get("anyOf", [schema])]
    s = next((o for o in options if o.get("type") != "null"), options[0])
    kind = s.get("type")
    if name in FOREIGN:
        value = ids[FOREIGN[name]]
        return [value] if kind == "array" else value
    if "enum" in s:
        return s["enum"][0]
    if kind == "array":
        return [_sample("", s.get("items", {}), comps, ids)] * max(1, s.get("minItems", 1))
    if kind == "object":
        return {}
    if kind in ("integer", "number"):
        return max(1, s.get("minimum", 1))
    if kind == "boolean":
        return False
    fmt = s.get("format")
    if fmt == "uuid":
        return str(uuid.uuid4())
    if fmt == "date":
        return (timezone.localdate() + timedelta(days=1)).isoformat()
    if fmt == "date-time":
        return (timezone.now() + timedelta(days=2)).isoformat()
    return "测试"


def test_every_write_refuses_a_foreign_id_and_stores_nothing(cast, world, probes, api):
    ids = {k: str(v.pk) for k, v in world.items()}
    exercised: set[str] = set()
    failures: list[str] = []
    for method, path, op, comps in _operations(api(None).client):
        key = f"{method} {path}"
        if key in NO_FOREIGN_IDS or key in NOT_YET:
            continue
        params = {p["name"]: p for p in op.get("parameters", []) if p["in"] == "path"}
        content = op.get("requestBody", {}).get("content", {})
        body_schema = _resolve(next(iter(content.values()))["schema"], comps) if content else {}
        props = body_schema.get("properties", {})
        unknown = [p for p in params if p not in FOREIGN]
        if unknown or not ({*params, *props} & FOREIGN.keys()):
            continue  # neither exercised nor listed: reported below
        exercised.add(key)
        url = path
        for p in params:
            url = url.replace("{" + p + "}", ids[FOREIGN[p]])
        required = set(body_schema.get("required", []))
        body = {k: _sample(k, v, comps, ids) for k, v in props.items() if k in required or k in FOREIGN}
        body.update(BODIES.get(key, {}))
        before = stored_state()
        for who, user in probes.items():
            if who == "ops" and not any(c in path for c in CLINICAL):
                continue  # operations coordinate referrals and sessions by role: probed where clinical only
            client = api(user).client
            if "multipart/form-data" in content:
                response = client.post(url, {"file": _upload()})
            else:
                response = getattr(client, method.lower())(url, body, content_type="application/json")
            if response.status_code not in (403, 404, 422):
                failures.append(f"{key} as {who}: {response.status_code} {response.content[:200]!r}")
        changed = state_changes(before, stored_state())
        if changed:
            failures.append(f"{key}: refused, but rows changed {changed}")
    all_ops = {f"{m} {p}" for m, p, _, _ in _operations(api(None).client)}
    unlisted = all_ops - exercised - NO_FOREIGN_IDS - set(NOT_YET)
    assert not unlisted, f"write operations neither exercised nor listed: {sorted(unlisted)}"
    assert not failures, "\n".join(failures)
    assert not NOT_YET.keys() & exercised, "NOT_YET lists an exercised operation"
    assert len(exercised) >= 40


def _upload() -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("x.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
