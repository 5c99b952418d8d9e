"""Issue 12: hospital staff work in pages, the API is for integrations. Every write operation of the OpenAPI document
names the page that does the same job (PAGE: its URL name) or the reason it has none (NO_PAGE); every page that
accepts POST names the API operation that does the same (by being named in PAGE) or the reason it has none
(PAGE_ONLY).

The test fails when a write operation or a POST page appears without an entry, when an entry names an operation or a
route that is gone, and when a named page does not resolve or does not accept POST. An everyday write with no page is
not a reason: build the page (or, until it is built, list it in NO_PAGE_YET and tell the lead).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from tests.api.test_page_write_matrix import SKIPPED_PREFIXES, _accepts_post

pytestmark = pytest.mark.django_db

# The directory (organizations, departments, practitioners, registrations, cover, partnerships) is kept by the
# Excel import (bulk, with a preview) and, one row at a time, by the audited admin pages.
_ADMIN = "admin:network_%s_%s"

# operation_id → the URL name of the page that does the same job.
PAGE: dict[str, str] = {
    "issue_token": "login",
    "logout": "logout",
    "create_organization": _ADMIN % ("organization", "add"),
    "update_organization": _ADMIN % ("organization", "change"),
    "create_department": _ADMIN % ("department", "add"),
    "update_department": _ADMIN % ("department", "change"),
    "create_practitioner": "network:excel_import",
    "update_practitioner": _ADMIN % ("practitioner", "change"),
    "create_siteregistration": "network:excel_import",
    "update_siteregistration": _ADMIN % ("siteregistration", "change"),
    "create_insurancepolicy": "network:excel_import",
    "update_insurancepolicy": _ADMIN % ("insurancepolicy", "change"),
    "create_partnership": _ADMIN % ("partnership", "add"),
    "update_partnership": _ADMIN % ("partnership", "change"),
    # people
    "create_person": "people:member-new",
    # the page corrects name, phone and address; a death or a move away is people:person-leave
    "update_person": "people:person-edit",
    "create_household": "people:household-new",
    "update_household": "people:household-edit",
    "move_person": "people:person-move",
    "record_person_leave": "people:person-leave",
    "create_consent": "people:consent-new",
    "create_consent_code": "people:consent-sms",
    "withdraw_consent": "people:consent-withdraw",
    # outreach
    "create_session_request": "outreach:coordinator",
    "cancel_session_request": "outreach:request_cancel",
    "set_expert_availability": "outreach:availability",
    "create_expert_leave": "outreach:availability",
    "create_roster_plan": "outreach:plan_new",
    # the family's pages (issue 16)
    "family_book": "portal:book",
    "family_booking_cancel": "portal:booking_cancel",
    "eprescription_dispense": "consults:online_dispense",
    "create_roster_replan": "outreach:plan_new",
    "confirm_roster_plan": "outreach:plan_confirm",
    "adjust_plan_assignment": "outreach:plan_adjust",
    "remove_plan_assignment": "outreach:plan_adjust",
    "cancel_expert_session": "outreach:session",
    "move_expert_session": "outreach:session",
    "accept_expert_session": "outreach:session",
    "decline_expert_session": "outreach:session",
    "file_session_report": "outreach:session_report",
    "create_booking": "outreach:session",
    "cancel_booking": "outreach:booking_cancel",
    # consults
    # programs
    "enter_program_actuals": "programs:actuals",
    "consults_case_create": "consults:case_new",
    "consults_attach": "consults:attachment_add",
    "teleconsult_create": "consults:teleconsult_new",
    "teleconsult_message": "consults:teleconsult_reply",
    "teleconsult_close": "consults:teleconsult_answer",
    "teleconsult_ask_more": "consults:teleconsult_answer",
    "teleconsult_decline": "consults:teleconsult_decline",
    "teleconsult_cancel": "consults:teleconsult_cancel",
    "opinion_create": "consults:opinion_new",
    "opinion_draft": "consults:opinion_edit",
    "opinion_sign": "consults:opinion_edit",
    "opinion_addendum": "consults:opinion_addendum",
    "opinion_decline": "consults:opinion_decline",
    "opinion_cancel": "consults:opinion_cancel",
    "mdt_create": "consults:mdt_new",
    "mdt_book": "consults:mdt_book",
    "mdt_minutes": "consults:mdt_minutes",
    "mdt_conclude": "consults:mdt_conclude",
    "mdt_hours_add": "consults:hours",
    "mdt_hours_remove": "consults:hours_remove",
    # referrals
    "publish_referral_capacity": "referrals:capacity",
    "create_referral": "referrals:create",
    "move_referral": "referrals:move",
    "attach_referral_file": "referrals:attach",
    # care
    "care_contract_sign": "care:contract-sign",
    "care_renew": "care:contract_renew",
    "care_terminate": "care:contract-end",
    "care_enrol": "care:enrol",
    "care_enrollment_end": "care:enrollment_end",
    "care_followup": "care:followup_new",
    "care_call": "care:call_new",
    "care_void": "care:followup_void",
    "care_prescribe": "care:medication_new",
    "care_suggestion_refer": "care:suggestion_refer",
    "care_suggestion_dismiss": "care:suggestion_dismiss",
    # the page records the one variant a center decides today, the hypertension target at 65 or more
    "care_variant_decide": "care:target_decide",
    # triage: anonymous, for patients and GP-center front desks
    "triage": "triage:index",
    # finance: incidents and disputes are recorded on the worklist page and moved on the incident's page
    "record_incident": "finance:incidents",
    "move_incident": "finance:incident",
    # finance, the GP-center chain: a center's lead or operations enter a month's cost on the center's costs page
    "record_center_cost": "finance:chain_costs",
}

# operation_id → why no page does it (integration only, or not a write at all).
NO_PAGE: dict[str, str] = {
    "care_risk": "a calculator: computes a risk from the figures sent and stores nothing (POST for a long body)",
    "care_person_risk_post": "computes the person's risk with the figures sent, stores nothing; the person's care "
    "page shows the risk from the latest follow-up",
}

# Writes by a role that have no page yet, each reported to the lead (issue 12).
NO_PAGE_YET: dict[str, str] = {}

# POST pages with no API operation, with the reason.
_TEAMS = "sets up a GP center's teams (operations or the center's lead, on the teams page); no integration of the "
_ONLINE = (
    "an online follow-up (issue 16) between the patient and their family doctor is held in its pages; no API yet: "
)
PAGE_ONLY: dict[str, str] = {
    "portal:login": "signs a patient in by SMS code and real-name check; an integration signs in with a token",
    "portal:reminders": "a family member switches SMS reminders about a member off or on from their phone; no "
    "integration keeps this choice",
    "portal:team_education": "the care team sends a health text from the page that shows the texts; integrations "
    "send none",
    "portal:gp_visit_book": "a patient or proxy books a visit with their own GP team from their phone (issue 16); "
    "no integration books GP visits yet",
    "portal:gp_visit_cancel": "a patient or proxy cancels their GP visit from the member's page; no integration yet",
    "portal:team_visits": "the GP team keeps its weekly visiting hours on the page that lists its booked visits; "
    "no integration keeps them",
    "portal:team_proxies": "the care team records, renews and revokes a proxy from the person's record, with the "
    "evidence in hand; no integration holds such evidence",
    "consults:online_new": _ONLINE + "the patient asks about a diagnosis made in person",
    "consults:online_message": _ONLINE + "a text, photo or reading in the thread",
    "consults:online_reauth": _ONLINE + "the doctor's re-authentication before acting, never delegated",
    "consults:online_prescribe": _ONLINE + "the doctor writes and signs an e-prescription personally",
    "consults:online_close": _ONLINE + "the doctor closes the consultation",
    "consults:online_stop": _ONLINE + "the doctor stops it and sends the patient to a visit in person",
    "consults:online_review": _ONLINE + "the pharmacist's review of an e-prescription",
    "consults:online_readings": "a patient reports a home reading from their phone (issue 16); no API yet",
    "care:reading_handle": "the team marks an urgent home reading handled from its worklist (issue 16); no API yet",
    "password_change": "changes the signed-in user's own password, checking the old one; an integration signs in "
    "with a token and never changes a password",
    "token_revoke": "token management: revokes one of the user's own API tokens from the tokens page (the API's "
    "logout revokes the token it is called with)",
    "token_revoke_all": "token management: revokes all of the user's own API tokens (also done on a password change)",
    "network:excel_confirm": "the Excel import's preview step (write the previewed rows); integrations write "
    "directory rows one at a time (POST /practitioners, /site-registrations, /insurance-policies)",
    "network:excel_discard": "the Excel import's preview step (drop an uploaded batch); nothing is written",
    "care:center_lead": "names a GP center's lead (operations, an administrator or the current lead); organisation "
    "set-up that no integration of the issue's roles writes",
    "care:team-new": _TEAMS + "issue's roles writes team rosters",
    "care:team-member-add": _TEAMS + "issue's roles writes team rosters",
    "care:team-member-end": _TEAMS + "issue's roles writes team rosters",
    # issue 14, first cut: the programs API reads programs and takes a month's actuals from hospital systems; the
    # plan, the survey and the pipeline are kept by operations and the lead expert on these pages.
    "programs:move": "moves a program through the partner pipeline (operations, on the program page); no "
    "integration of the issue's roles moves it",
    "programs:milestone_done": "marks a plan's milestone done (operations or the lead expert, on the program page)",
    "programs:plan": "operations or the lead expert add milestones and set monthly targets on the plan page",
    "programs:assess": "a visiting expert or coordinator fills a department's needs assessment on the page",
    "programs:campaign": "operations move a ranked department of a survey into the partner pipeline",
    "programs:campaign_new": "operations start a needs survey on the programs page",
    "programs:training": "courses, sessions, attendance and scores of a program's training, kept by the hospital's "
    "coordinator, operations and the lead expert on the training page; no integration of the issue's roles",
    "programs:evidence_add": "a file proving a milestone, uploaded on the program page (checked like attachments)",
    "programs:assess_import": "the assessment page's offline sheet (xlsx), read back as the page's form",
    "programs:actuals_import": "the actuals page's sheet of months (xlsx); integrations post a month's actuals to "
    "POST /api/v1/programs/{program_id}/actuals",
    # issue 15: the finance API is read-only for accounting integrations; operations keep prices and share rules,
    # price unpriced work, issue statements and record corrections on the pages.
    "finance:prices": "operations add a price version on the price-list page",
    "finance:shares": "operations add a revenue-share rule version on the share-rules page",
    "finance:unpriced_price": "operations price one piece of unpriced work from the worklist",
    "finance:statements": "operations issue a month's expert statements",
    "finance:settlements": "operations issue a month's hospital settlements",
    "finance:statement": "operations record a correction that the expert's next statement carries",
    "finance:coverage": "the GP team or a coordinator records a person's coverage on the person's coverage page; the "
    "API only reads coverage",
    "finance:chain_rules": "operations add a GP center's share-rule version by its operating mode on the GP-center "
    "shares page",
    "finance:chain_cost_void": "a center's lead or operations void a mistyped cost, with a reason, on the costs page",
    # issue 17: the profiles API is public and read-only (the expert search and page); patients review, experts
    # write articles and reply, operations moderate on these pages.
    "profiles:review_booking": "a patient reviews a visit at a held session; no integration writes reviews",
    "profiles:review_opinion": "a patient reviews a signed second opinion; no integration writes reviews",
    "profiles:review_online": "a patient reviews an answered online follow-up; no integration writes reviews",
    "profiles:article_new": "an expert writes an article on their own page; no integration of the issue's roles",
    "profiles:article_edit": "an expert changes or submits their draft on their own page",
    "profiles:review_reply": "an expert replies once, in public, to a review on their own page",
    "profiles:moderate_article": "operations publish an expert's article or return it with a reason",
    "profiles:moderate_review": "operations hide a review with a reason (audited); no integration moderates",
}


def _write_operations() -> dict[str, str]:
    doc = Client().get("/api/v1/openapi.json").json()
    return {
        op["operationId"]: f"{method.upper()} {path}"
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if method in ("post", "put", "patch", "delete")
    }


def _named_routes(
    resolver: URLResolver | None = None, prefix: str = "", ns: str = ""
) -> Iterator[tuple[str, str, URLPattern]]:
    """(namespaced URL name, route, pattern) for every named route of the site."""
    for p in (resolver or get_resolver()).url_patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            inner = f"{ns}{p.namespace}:" if p.namespace else ns
            yield from _named_routes(p, route, inner)
        elif p.name:
            yield f"{ns}{p.name}", route, p


def test_every_write_operation_names_its_page_or_the_reason_it_has_none():
    ops = _write_operations()
    listed = PAGE.keys() | NO_PAGE.keys() | NO_PAGE_YET.keys()
    assert not PAGE.keys() & NO_PAGE.keys() and not (PAGE.keys() | NO_PAGE.keys()) & NO_PAGE_YET.keys()
    missing = sorted(f"{op_id} ({ops[op_id]})" for op_id in ops.keys() - listed)
    assert not missing, f"write operations with neither a page nor a reason: {missing}"
    assert not listed - ops.keys(), f"entries for operations that are gone: {sorted(listed - ops.keys())}"
    assert all(len(reason) > 20 for reason in NO_PAGE.values()), "a reason says why, in words"


def test_every_named_page_resolves_and_accepts_post():
    routes = {name: (route, p) for name, route, p in _named_routes()}
    problems = []
    for op_id, name in sorted(PAGE.items()):
        if name not in routes:
            problems.append(f"{op_id}: no page named {name}")
            continue
        route, pattern = routes[name]
        params = re.findall(r"<(?:\w+:)?(\w+)>", route) + re.findall(r"\(\?P<(\w+)>", route)
        reverse(name, kwargs={p: str(uuid.uuid4()) for p in params})
        if not route.startswith("admin/") and not _accepts_post(pattern.callback):
            problems.append(f"{op_id}: the page {name} ({route}) takes no POST")
    assert not problems, "\n".join(problems)


def test_every_post_page_names_its_operation_or_the_reason_it_has_none():
    post_pages = {
        name: route
        for name, route, p in _named_routes()
        if not route.startswith(SKIPPED_PREFIXES) and _accepts_post(p.callback)
    }
    with_api = set(PAGE.values())
    unlisted = sorted(
        f"{name} ({route})" for name, route in post_pages.items() if name not in with_api | PAGE_ONLY.keys()
    )
    assert not unlisted, f"POST pages with neither an API operation nor a reason: {unlisted}"
    assert not PAGE_ONLY.keys() & with_api, "PAGE_ONLY lists a page an operation names"
    assert not PAGE_ONLY.keys() - post_pages.keys(), (
        f"PAGE_ONLY lists pages that are gone: {PAGE_ONLY.keys() - post_pages.keys()}"
    )


def test_the_check_catches_an_unlisted_operation_and_a_bad_name(monkeypatch):
    """The table's checks themselves: a new operation without an entry fails, and so does a name that resolves to
    nothing or to a page that takes no POST."""
    monkeypatch.delitem(PAGE, "care_call")
    with pytest.raises(AssertionError, match="care_call"):
        test_every_write_operation_names_its_page_or_the_reason_it_has_none()
    monkeypatch.setitem(PAGE, "care_call", "care:no_such_page")
    with pytest.raises(AssertionError, match="no page named care:no_such_page"):
        test_every_named_page_resolves_and_accepts_post()
    monkeypatch.setitem(PAGE, "care_call", "care:dashboard")
    with pytest.raises(AssertionError, match="takes no POST"):
        test_every_named_page_resolves_and_accepts_post()
