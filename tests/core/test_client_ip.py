"""The client's address behind our proxies: only the configured hops are trusted, never the client's own claims."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, RequestFactory, override_settings
from tests.factories import PASSWORD

from tiercare import settings as tiercare_settings
from tiercare.core.middleware import client_ip
from tiercare.core.models import AuditEvent, LoginFailure

PROXY = {"SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https")}


def ip_of(xff: str | None, remote: str = "10.0.0.2") -> str | None:
    meta = {"REMOTE_ADDR": remote}
    if xff is not None:
        meta["HTTP_X_FORWARDED_FOR"] = xff
    return client_ip(RequestFactory().get("/", **meta))


@override_settings(**PROXY, TRUSTED_PROXY_HOPS=1)
def test_one_hop_takes_the_rightmost_entry_and_ignores_a_forged_left():
    assert ip_of("203.0.113.9") == "203.0.113.9"
    assert ip_of("1.2.3.4, 203.0.113.9") == "203.0.113.9"
    assert ip_of("not-an-ip, 203.0.113.9") == "203.0.113.9"


@override_settings(**PROXY, TRUSTED_PROXY_HOPS=2)
def test_two_hops_take_the_second_from_the_right():
    assert ip_of("1.2.3.4, 203.0.113.9, 10.1.1.1") == "203.0.113.9"
    assert ip_of("203.0.113.9, 10.1.1.1") == "203.0.113.9"
    # One entry short of the configured hops: nothing trustworthy, so the socket's address.
    assert ip_of("10.1.1.1") == "10.0.0.2"


@override_settings(**PROXY, TRUSTED_PROXY_HOPS=1)
def test_malformed_or_missing_entries_fall_back_to_remote_addr():
    assert ip_of("1.2.3.4, garbage") == "10.0.0.2"
    assert ip_of("") == "10.0.0.2"
    assert ip_of(None) == "10.0.0.2"
    assert ip_of("2001:db8::1") == "2001:db8::1"


@override_settings(TRUSTED_PROXY_HOPS=1)
def test_without_the_proxy_setting_forwarded_for_is_ignored(settings):
    settings.SECURE_PROXY_SSL_HEADER = None
    assert ip_of("203.0.113.9") == "10.0.0.2"


@pytest.mark.django_db
@override_settings(**PROXY, TRUSTED_PROXY_HOPS=1, LOGIN_MAX_FAILURES=1)
def test_spoofed_leftmost_hop_changes_neither_rate_limit_key_nor_audit_ip(cast):
    client = Client()
    for n in range(6):
        client.post(
            "/login/",
            {"username": f"nobody{n}", "password": "wrong"},
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}, 203.0.113.9",
            REMOTE_ADDR="10.0.0.2",
        )
    assert set(LoginFailure.objects.values_list("ip", flat=True)) == {"203.0.113.9"}
    assert set(AuditEvent.objects.filter(action="login_failed").values_list("ip", flat=True)) == {"203.0.113.9"}
    # Four failures per address are allowed (LOGIN_MAX_FAILURES * 4): the forged left hops did not reset the count,
    # so the right password from the same real address is now refused.
    locked = client.post(
        "/login/",
        {"username": "ops", "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="192.0.2.77, 203.0.113.9",
        REMOTE_ADDR="10.0.0.2",
    )
    assert locked.status_code == 429


@pytest.mark.parametrize("value", ["0", "-1", "two", "11"])
def test_bad_hop_counts_are_refused(monkeypatch, value):
    monkeypatch.setenv("TIERCARE_TRUSTED_PROXY_HOPS", value)
    with pytest.raises(ImproperlyConfigured):
        tiercare_settings.envint("TIERCARE_TRUSTED_PROXY_HOPS", 1, minimum=1, maximum=10)


@pytest.mark.parametrize("value,expected", [("1", 1), ("10", 10), ("", 1)])
def test_good_hop_counts(monkeypatch, value, expected):
    monkeypatch.setenv("TIERCARE_TRUSTED_PROXY_HOPS", value)
    assert tiercare_settings.envint("TIERCARE_TRUSTED_PROXY_HOPS", 1, minimum=1, maximum=10) == expected
