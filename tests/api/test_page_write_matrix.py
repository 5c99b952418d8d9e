"""Issue 10, pages: every page of the site that accepts POST, given the id of a real object the user may not see (in
the path or in a form field), answers a 403 or 404 page (or, for a form listed in REFUSED_AS_A_CHOICE, a 422 with
the id refused beside its field) — never a 2xx, a redirect or a 500 — and stores nothing (row counts, latest
``updated_at`` and revocations of every table unchanged; the audit log aside).

Generic, like the API matrix (test_write_matrix.py): the routes are read from the URL resolver; a route accepts POST
when its view is restricted to methods that include POST (``require_POST``, ``require_http_methods``), when it is a
class-based view with a ``post`` method, or when an unrestricted view's source reads ``POST``. Path parameters are
filled from the shared world (tests/api/conftest.py) by their name (PATH_IDS); form fields from BODIES.

A new page that accepts POST is exercised at once when it has path ids whose names are in PATH_IDS (posted with an
empty form, or with its forms in BODIES). Otherwise this test fails naming its route until, at merge, the route is
- exercised: add its path parameters' names to PATH_IDS (building the object in tests/api/conftest.py if the world
  has none), and, for a form whose ids are in the body or a route without path ids, an entry in BODIES with the
  form's fields, valid except for the foreign object's id (else a 422 for another field would prove nothing: only
  routes in REFUSED_AS_A_CHOICE may answer 422), or
- listed in NO_FOREIGN_IDS with the reason it names no object another user owns (the user's own session, tokens,
  password; a file upload), the refusal being tested elsewhere.
Operations are probed except on routes in OPS_BY_ROLE (they coordinate referrals and outreach by role).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from tests.api.conftest import state_changes, stored_state

pytestmark = pytest.mark.django_db

# Route prefixes with their own matrix or permission system.
SKIPPED_PREFIXES = ("api/v1/", "admin/")
# POST routes that name no object of another user, with the reason.
NO_FOREIGN_IDS = {
    "login/": "signs in; names no object (lockout tested in tests/core/test_auth.py)",
    "logout/": "ends the caller's own session",
    "account/password/": "changes the caller's own password (Django's view checks the old one)",
    "account/tokens/revoke-all/": "revokes the caller's own tokens only (tests/core/test_tokens.py)",
    "directory/excel/import/": "an uploaded file, no object id; directory writers only (tests/network/test_excel.py)",
    "outreach/plan/new/": "queues a plan of a horizon, no object id; operations only (tests/outreach)",
    "triage/": "anonymous triage of a complaint (tests/triage/test_page.py); a front desk's optional patient is "
    "resolved by people's access function before anything is counted: 404, nothing stored; other roles have no such "
    "field (tests/triage/test_registrations_page.py)",
    "family/login/": "signs a patient in by SMS code; names no object (tests/portal/test_sms_signin.py)",
    "consults/hours/": "adds the caller's own MDT meeting hours; experts only (tests/consults)",
    "programs/assess/<uuid:department_id>/": "a department is directory data: operations and visiting experts "
    "assess any; a coordinator of another hospital gets 404, audited (tests/programs/test_survey.py)",
    "programs/survey/new/": "starts a needs survey by its name; operations only (tests/programs/test_survey.py)",
    "programs/assess/<uuid:department_id>/import/": "the assessment page's offline sheet: the department as for "
    "programs/assess/; a coordinator of another hospital gets 404 (tests/programs/test_offline.py)",
    "finance/prices/": "a price names a hospital (directory data); finance writers (operations) only, others 403 "
    "(tests/finance/test_pages.py)",
    "finance/shares/": "a share rule names a hospital (directory data); finance writers only (tests/finance)",
    "finance/statements/": "issues a month's statements (a month, no object id); finance writers only (tests/finance)",
    "finance/settlements/": "issues a month's hospital settlements (a month, no object id); finance writers only "
    "(tests/finance/test_settlement_docs.py)",
    "finance/chain/rules/": "a GP center's share rule names the center (directory data); finance writers only, "
    "others 403 (tests/finance/test_chain.py)",
    "profiles/mine/articles/new/": "an expert writes a new article of their own; names no object (the author is the "
    "signed-in expert; tests/profiles/test_articles.py)",
    "care/centers/<uuid:center_id>/target/": "a center is directory data; a center where the user has no team is "
    "404 and the service refuses anyone not a GP of that center (tests/care/test_record_pages.py)",
}
# Path parameter → the world's object whose id fills it.
PATH_IDS = {
    "incident_id": "incident",
    "cost_id": "center_cost",
    "team_id": "team",
    "contract_id": "contract",
    "enrollment_id": "enrollment",
    "household_id": "household",
    "person_id": "person",
    "suggestion_id": "suggestion",
    "case_id": "case",
    "tc_id": "teleconsult",
    "opinion_id": "opinion",
    "mdt_id": "mdt",
    "consent_id": "consent",
    "referral_id": "referral",
    "plan_id": "plan",
    "assignment_id": "assignment",
    "session_id": "session",
    "booking_id": "booking",
    "request_id": "outreach_request",
    "token_id": "token",
    "batch_id": "batch",
    "center_id": "center",
    "member_id": "team_member",
    "hours_id": "meeting_hours",
    "followup_id": "followup",
    "program_id": "program",
    "milestone_id": "milestone",
    "campaign_id": "campaign",
    "statement_id": "statement",
    "work_id": "unpriced",
    "article_id": "article",
    "review_id": "review",
    "consult_id": "online_consult",
    "visit_id": "gp_visit",
    "prescription_id": "prescription",
    "reading_id": "home_reading",
}


QUERY = "?"


def _today() -> str:
    return timezone.localdate().isoformat()


def _soon() -> str:
    return (timezone.localdate() + timedelta(days=3)).isoformat()


# Route → the forms posted there (each a function of the world's ids): valid enough that the id is what is refused.
# A form's QUERY entry is the query string the page takes its object from (``?expert=``).
BODIES: dict[str, list[Callable[[dict[str, str]], dict[str, Any]]]] = {
    "referrals/new/": [
        lambda ids: {
            "person": ids["person"],
            "receiving_department": ids["referral_department"],
            "urgency": "routine",
            "reason": "持续高热",
            "diagnosis_text": "川崎病？",
            "capacity_kind": "clinic",
        }
    ],
    "referrals/capacity/": [
        lambda ids: {"department": ids["referral_department"], "date": _soon(), "kind": "clinic", "places": 2}
    ],
    "referrals/<uuid:referral_id>/move/": [lambda ids: {"action": "cancel", "reason": "不需要了"}],
    "referrals/<uuid:referral_id>/attach/": [
        lambda ids: {"file": SimpleUploadedFile("x.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")}
    ],
    "outreach/requests/": [
        lambda ids: {
            "department": ids["outreach_department"],
            "kind": "clinic",
            "cadence": "once",
            "window_start": _soon(),
            "window_end": (timezone.localdate() + timedelta(days=10)).isoformat(),
            "places": 5,
            "priority": 2,
        }
    ],
    "outreach/sessions/<uuid:session_id>/": [
        lambda ids: {"action": "cancel", "reason": "专家有事"},
        lambda ids: {"action": "move", "reason": "改期", "date": _soon(), "half_day": "pm"},
        lambda ids: {"action": "book", "person": ids["person"]},
    ],
    "family/reminders/": [lambda ids: {"person": ids["person"], "action": "off"}],
    "family/gp-visits/": [lambda ids: {"person": ids["person"], "team": ids["team"], "slot": f"{_soon()}T09:00"}],
    "outreach/plan/<uuid:plan_id>/assignments/<uuid:assignment_id>/": [
        lambda ids: {"action": "remove"},
        lambda ids: {"date": _soon(), "half_day": "pm"},
    ],
    "consults/opinions/<uuid:opinion_id>/edit/": [lambda ids: {"text": "意见", "sign": "1"}],
    "finance/statements/<uuid:statement_id>/": [lambda ids: {"amount": "-5", "reason": "更正"}],
    "finance/incidents/": [
        lambda ids: {"kind": "dispute", "source": f"session:{ids['session']}", "occurred_on": _today(), "summary": "x"}
    ],
    "finance/incidents/<uuid:incident_id>/": [lambda ids: {"to": "insurer_notified", "reason": "已报案"}],
    "finance/people/<uuid:person_id>/coverage/": [
        lambda ids: {"scheme": "resident", "region_code": "510129", "valid_from": "2027-01-01"}
    ],
    "finance/unpriced/<uuid:work_id>/price/": [lambda ids: {"amount": "1200", "effective_from": "2026-01-01"}],
    "finance/chain/costs/<uuid:cost_id>/void/": [lambda ids: {"reason": "录错"}],
    "consults/opinions/<uuid:opinion_id>/addendum/": [lambda ids: {"text": "补充"}],
    "care/contracts/<uuid:contract_id>/renew/": [lambda ids: {"next": "/care/"}],
    "care/enrollments/<uuid:enrollment_id>/end/": [lambda ids: {"reason": "失访"}],
    "care/teams/new/": [lambda ids: {"center": ids["lone_center"], "name": "B组"}],
    "consults/cases/new/": [lambda ids: {"person": ids["person"], "question": "持续发热？"}],
    # a patient's own pages (issue 16): staff are refused by role, another family's member is not among the choices
    "consults/online/new/": [
        lambda ids: {"person": ids["person"], "diagnosis": ids["enrollment"], "question": "续药？"}
    ],
    "consults/online/readings/": [
        lambda ids: {
            "enrollment": ids["enrollment"],
            "measured_at": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
            "sbp_mmhg": 130,
            "dbp_mmhg": 80,
        }
    ],
    "consults/online/<uuid:consult_id>/messages/": [lambda ids: {"body": "你好"}],
    "consults/online/<uuid:consult_id>/reauth/": [lambda ids: {"password": "world-password"}],
    "consults/online/<uuid:consult_id>/prescriptions/": [
        lambda ids: {"drug": "amlodipine_5mg", "dose": "5mg qd", "supply_days": 28}
    ],
    "consults/online/<uuid:consult_id>/close/": [lambda ids: {"summary": "续方"}],
    "consults/online/<uuid:consult_id>/stop/": [
        lambda ids: {"kind": "gp_visit", "reason": "复查", "visit_by": timezone.localdate().isoformat()}
    ],
    "consults/online/prescriptions/<uuid:prescription_id>/review/": [lambda ids: {"decision": "approve"}],
    "care/home-readings/<uuid:reading_id>/handled/": [lambda ids: {"note": "已电话联系"}],
    "people/households/new/": [lambda ids: {"name": "新户", "registered_at": ids["lone_center"]}],
    "people/consents/new/": [
        lambda ids: {QUERY: f"person={ids['person']}", "purpose": "referral", "signer": "patient", "method": "paper"}
    ],
    "people/consents/sms-code/": [
        lambda ids: {QUERY: f"person={ids['person']}", "purpose": "referral", "phone": "13800138000"}
    ],
    # The outreach branch's availability page: another expert's leave, as an expert (who may change only their own).
    "outreach/availability/": [
        lambda ids: {
            QUERY: f"expert={ids['expert']}",
            "action": "leave",
            "kind": "leave",
            "start": _soon(),
            "end": _soon(),
        }
    ],
}
# Forms that refuse a foreign id as "not one of the choices" (a queryset scoped to the user), answering 422 with the
# error beside the field; everywhere else a 422 would mean the form was refused before the id was looked at.
REFUSED_AS_A_CHOICE = {
    "referrals/new/",
    "outreach/requests/",
    "care/teams/new/",
    "consults/cases/new/",
    "people/households/new/",
    "finance/incidents/",  # the source is a choice among the sessions, cases and referrals the recorder may see
}
# Operations coordinate referrals and outreach by role (they may cancel a session or a referral), and name a GP
# center's lead: not probed there.
OPS_BY_ROLE = (
    "referrals/",
    "outreach/requests/",
    "outreach/sessions/",
    "outreach/plan/",
    "outreach/availability/",
    "care/centers/",
    "care/teams/",
    "care/team-members/",
    "programs/",  # operations keep every program's plan and pipeline, and every survey
    "finance/",  # operations keep prices, issue statements and record corrections
    "profiles/moderation/",  # operations publish experts' articles and hide reviews
)


def _routes(resolver: URLResolver | None = None, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for p in (resolver or get_resolver()).url_patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            yield from _routes(p, route)
        else:
            yield route, p


def _accepts_post(view: Any) -> bool:
    cls = getattr(view, "view_class", None)
    if cls is not None:
        return "post" in cls.http_method_names and hasattr(cls, "post")
    fn = view
    while fn is not None:  # the decorators' wrappers, outermost first
        names = getattr(getattr(fn, "__code__", None), "co_freevars", ())
        if "request_method_list" in names:
            return "POST" in fn.__closure__[names.index("request_method_list")].cell_contents
        fn = getattr(fn, "__wrapped__", None)
    return "POST" in inspect.getsource(inspect.unwrap(view))


def _params(route: str) -> list[str]:
    import re

    return re.findall(r"<(?:\w+:)?(\w+)>", route)


def _client(user: Any) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def test_every_post_page_refuses_a_foreign_id_and_stores_nothing(world, probes):
    ids = {k: str(v.pk) for k, v in world.items()}
    ids["referral_department"] = str(world["referral"].receiving_department_id)
    ids["outreach_department"] = str(world["outreach_request"].department_id)
    post_routes = {
        route for route, p in _routes() if not route.startswith(SKIPPED_PREFIXES) and _accepts_post(p.callback)
    }
    exercised: set[str] = set()
    failures: list[str] = []
    for route in sorted(post_routes - NO_FOREIGN_IDS.keys()):
        params = _params(route)
        if any(p not in PATH_IDS for p in params) or not (params or route in BODIES):
            continue  # neither exercised nor listed: reported below
        exercised.add(route)
        url = "/" + route
        for p in params:
            url = url.replace(next(s for s in (f"<uuid:{p}>", f"<str:{p}>", f"<{p}>") if s in url), ids[PATH_IDS[p]])
        for make_body in BODIES.get(route, [lambda ids: {}]):
            before = stored_state()
            for who, user in probes.items():
                if who == "ops" and route.startswith(OPS_BY_ROLE):
                    continue
                body = make_body(ids)
                query = body.pop(QUERY, "")
                response = _client(user).post(f"{url}?{query}" if query else url, body)
                refusals = (403, 404, 422) if route in REFUSED_AS_A_CHOICE else (403, 404)
                if response.status_code not in refusals:
                    failures.append(f"{route} {make_body(ids)} as {who}: {response.status_code}")
            changed = state_changes(before, stored_state())
            if changed:
                failures.append(f"{route}: refused, but stored {changed}")
    unlisted = post_routes - exercised - NO_FOREIGN_IDS.keys()
    assert not unlisted, f"POST pages neither exercised nor listed in NO_FOREIGN_IDS: {sorted(unlisted)}"
    assert not failures, "\n".join(failures)
    assert not NO_FOREIGN_IDS.keys() - post_routes, "NO_FOREIGN_IDS lists a route that is gone or takes no POST"
    assert len(exercised) >= 15


def test_the_route_walk_sees_post_pages_and_not_get_pages():
    """The detection itself: a POST-only page, a page that reads its form, and GET-only pages."""
    routes = dict(_routes())
    assert _accepts_post(routes["care/contracts/<uuid:contract_id>/renew/"].callback)
    assert _accepts_post(routes["referrals/new/"].callback)
    assert _accepts_post(routes["account/password/"].callback)
    assert not _accepts_post(routes["care/dashboard/"].callback)
    assert not _accepts_post(routes["directory/excel/import/<uuid:batch_id>/"].callback)
