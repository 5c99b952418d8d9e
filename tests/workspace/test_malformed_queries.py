"""No page answers 500 to a malformed query parameter: an id that is not an id is a framed 400 naming the parameter,
a bad date, number or choice in a filter form is named beside its field (200), and the page still works."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

BAD_VALUES = {
    "id": ["zzz", "1", "' OR 1=1 --", "00000000-0000-0000-0000-00000000000g", "%FF", "x" * 500],
    "date": ["2026-13-45", "yesterday", "0000-00-00", "9999-99-99", "-1"],
    "int": ["abc", "-1", "0", "1e400", "99999999999999999999999", "１"],
}

# (role, path, {parameter: kind}): the main list pages and the parameters they read.
PAGES = [
    ("ops", "/directory/experts/", {"home": "id", "allowed_at": "id", "on": "date", "specialty": "id", "page": "int"}),
    ("ops", "/directory/organizations/", {"tier": "id", "partner": "id", "page": "int"}),
    ("ops", "/outreach/plan/", {"plan": "id", "run": "id"}),
    ("ops", "/outreach/calendar/", {"expert": "id"}),
    ("ops", "/consults/", {"page": "int"}),
    ("coordinator", "/referrals/", {"tab": "id", "page": "int"}),
    ("coordinator", "/people/households/", {"q": "id", "page": "int"}),
    ("coordinator", "/outreach/requests/", {"page": "int"}),
    ("gp", "/care/", {"team": "id"}),
    ("gp", "/care/dashboard/", {"team": "id"}),
    ("gp", "/referrals/dashboard/", {"page": "int"}),
    ("auditor", "/audit/", {"person": "id", "action": "id", "actor": "id", "since": "date", "until": "date",
                            "page": "int"}),
    ("admin", "/consults/dashboard/", {"page": "int"}),
]  # fmt: skip


def _cases():
    for role, path, params in PAGES:
        for name, kind in params.items():
            for value in BAD_VALUES[kind]:
                yield pytest.param(role, path, name, value, id=f"{role}-{path}-{name}={value[:12]}")


@pytest.mark.parametrize(("role", "path", "name", "value"), list(_cases()))
def test_a_malformed_parameter_is_never_a_500(cast, role, path, name, value) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(getattr(cast, role))
    response = client.get(path, {name: value})
    assert response.status_code in (200, 400, 404), response.status_code
    html = response.content.decode()
    assert 'class="brand"' in html  # a page of the site, not a bare error
    if response.status_code == 400:
        assert f"?{name}=" in html  # the 400 names the parameter


def test_a_malformed_id_is_a_framed_400_in_the_users_language(cast) -> None:
    client = Client()
    client.force_login(cast.gp)
    response = client.get("/care/dashboard/", {"team": "zzz"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "?team=" in html and "不是有效的编号" in html and 'href="/"' in html
    response = client.get("/care/dashboard/", {"team": "zzz", "lang": "en"})
    assert response.status_code == 400 and "is not a valid id" in response.content.decode()
