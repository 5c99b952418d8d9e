"""Malformed requests answer a 4xx in the one error shape (API) or the site's error page (pages), never a 500.

Covers issue 10 item 6: multipart without boundary, a body over the size limit, 100,000-level nesting, NUL in any
string (body, query, form), a JSON array where an object is expected, and malformed ids in page query strings.
"""

import json
import uuid

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def gp_client(cast):
    client = Client(raise_request_exception=False)
    client.force_login(cast.gp)
    return client


def _shape(response, status, code):
    assert response.status_code == status, response.content[:300]
    body = response.json()
    assert set(body) == {"code", "message", "details"}
    assert body["code"] == code
    return body


def test_multipart_without_boundary_on_an_upload_endpoint_is_400(cast, gp_client):
    url = f"/api/v1/consults/cases/{uuid.uuid4()}/attachments"
    response = gp_client.post(url, b"--x\r\n", content_type="multipart/form-data")
    assert response.status_code == 400
    assert {"code", "message", "details"} == set(response.json())


def test_multipart_without_boundary_on_a_json_endpoint_is_400(gp_client):
    response = gp_client.post("/api/v1/households", b"--x\r\n", content_type="multipart/form-data")
    _shape(response, 400, "invalid_json")


def test_body_over_the_size_limit_is_413(gp_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = json.dumps({"name": "x" * 10_001})
    _shape(gp_client.post("/api/v1/households", body, content_type="application/json"), 413, "payload_too_large")
    # just under the limit is read (and then judged on its fields)
    small = json.dumps({"name": "x" * 9_000})
    assert gp_client.post("/api/v1/households", small, content_type="application/json").status_code == 422


@pytest.mark.parametrize("opener,closer", [("[", "]"), ('{"a":', "}")])
def test_deeply_nested_body_is_400(gp_client, opener, closer):
    body = opener * 100_000 + "1" + closer * 100_000
    _shape(gp_client.post("/api/v1/households", body, content_type="application/json"), 400, "too_deep")


def test_nesting_at_the_limit_is_read_one_past_it_is_refused(gp_client):
    from tiercare.core.api import MAX_JSON_DEPTH

    def nested(levels):
        value = "x"
        for _ in range(levels):
            value = {"k": value}
        return value

    at_limit = json.dumps({"name": "a", "extra": nested(MAX_JSON_DEPTH - 1)})
    assert gp_client.post("/api/v1/households", at_limit, content_type="application/json").status_code == 422
    over = json.dumps({"name": "a", "extra": nested(MAX_JSON_DEPTH + 1)})
    _shape(gp_client.post("/api/v1/households", over, content_type="application/json"), 400, "too_deep")


def test_nul_in_a_body_string_is_refused_and_nothing_stored(cast, gp_client):
    from tiercare.people.models import Household

    before = Household.objects.count()
    body = json.dumps({"name": "a\x00b", "registered_at": str(cast.center_a.pk)})
    _shape(gp_client.post("/api/v1/households", body, content_type="application/json"), 422, "nul_character")
    nested_key = json.dumps({"name": "ok", "registered_at": str(cast.center_a.pk), "x": {"k\x00": 1}})
    _shape(gp_client.post("/api/v1/households", nested_key, content_type="application/json"), 422, "nul_character")
    assert Household.objects.count() == before


def test_nul_in_a_query_string_is_400(gp_client):
    _shape(gp_client.get("/api/v1/persons", {"q": "a\x00b"}), 400, "nul_character")


def test_json_array_where_an_object_is_expected_is_422(gp_client):
    response = gp_client.post(f"/api/v1/outreach/requests/{uuid.uuid4()}/cancel", "[]", content_type="application/json")
    _shape(response, 422, "body_not_object")


def test_nul_in_a_page_form_is_the_error_page(cast):
    client = Client(raise_request_exception=False)
    client.force_login(cast.gp)
    response = client.post("/care/dashboard/", {"team": "a\x00"})
    assert response.status_code == 400
    assert b"<html" in response.content


def test_multipart_without_boundary_on_a_page_is_the_error_page(cast):
    client = Client(raise_request_exception=False)
    client.force_login(cast.gp)
    response = client.post("/care/dashboard/", b"--x\r\n", content_type="multipart/form-data")
    assert response.status_code == 400
    assert b"<html" in response.content


def test_malformed_expert_on_the_calendar_is_400_page_and_a_valid_one_is_read(cast):
    client = Client(raise_request_exception=False)
    client.force_login(cast.ops)
    response = client.get("/outreach/calendar/", {"expert": "zzz"})
    assert response.status_code == 400
    assert "expert" in response.content.decode()
    assert client.get("/outreach/calendar/", {"expert": str(cast.expert_practitioner.pk)}).status_code == 200
    assert client.get("/outreach/calendar/", {"expert": str(uuid.uuid4())}).status_code == 404


def test_malformed_team_on_the_care_dashboard_is_400_page(cast):
    client = Client(raise_request_exception=False)
    client.force_login(cast.gp)
    assert client.get("/care/dashboard/", {"team": "zzz"}).status_code == 400
    assert client.get("/care/dashboard/", {"team": str(uuid.uuid4())}).status_code == 200
    assert client.get("/care/dashboard/").status_code == 200


@pytest.mark.parametrize(
    "url,param",
    [("/outreach/plan/", "plan")],
)
def test_other_page_query_ids_are_parsed(cast, url, param):
    client = Client(raise_request_exception=False)
    client.force_login(cast.ops)
    response = client.get(url, {param: "not-a-uuid"})
    assert response.status_code == 400, response.status_code


def _nested_json() -> str:
    return "[" * 100_000 + "1" + "]" * 100_000


# Issue 10 item 6 in one table (each also tested above in detail): the request, who sends it, and the answer.
ITEM_6 = [
    ("multipart without boundary", "gp", "post", "/api/v1/households", b"--x\r\n", "multipart/form-data", 400),
    ("JSON over the size limit", "gp", "post", "/api/v1/households", "big", "application/json", 413),
    ("100,000-level nested JSON", "gp", "post", "/api/v1/households", "nested", "application/json", 400),
    ("NUL in a body string", "gp", "post", "/api/v1/households", '{"name": "a\\u0000b"}', "application/json", 422),
    ("NUL in a PATCH body", "gp", "patch", "/api/v1/persons/{person}", '{"name": "\\u0000"}', "application/json", 422),
    ("NUL in a page form", "gp", "post", "/care/dashboard/", {"team": "a\x00"}, None, 400),
    ("?expert=zzz on the calendar", "ops", "get", "/outreach/calendar/?expert=zzz", None, None, 400),
    ("?team=zzz on the dashboard", "gp", "get", "/care/dashboard/?team=zzz", None, None, 400),
]


@pytest.mark.parametrize("case,who,method,url,body,content_type,status", ITEM_6, ids=[c[0] for c in ITEM_6])
def test_item_6_requests_answer_4xx_in_the_one_shape_never_500(
    cast, settings, case, who, method, url, body, content_type, status
):
    client = Client(raise_request_exception=False)
    client.force_login(getattr(cast, who))
    if body == "big":
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
        body = json.dumps({"name": "x" * 10_001})
    elif body == "nested":
        body = _nested_json()
    url = url.replace("{person}", str(cast.child_person.pk))
    kwargs = {"content_type": content_type} if content_type else {}
    response = getattr(client, method)(url, body, **kwargs) if body is not None else getattr(client, method)(url)
    assert response.status_code == status, response.content[:300]
    if url.startswith("/api/"):
        assert set(response.json()) == {"code", "message", "details"}
    else:
        assert b"<html" in response.content


def test_the_audit_logs_person_filter_is_text_answered_beside_the_field(cast):
    """The audit log finds a person by what an auditor has in hand (tests/workspace/test_audit_log_page.py); text
    that matches no one is named beside the field, not a 400 or a 500."""
    client = Client(raise_request_exception=False)
    client.force_login(cast.admin)
    response = client.get("/audit/", {"person": "not-a-uuid"})
    assert response.status_code == 200 and 'id="id_person-error"' in response.content.decode()
