"""Production settings: a strong SECRET_KEY, HTTPS with HSTS, a Content-Security-Policy, a clean `check --deploy`."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from tiercare import settings as tiercare_settings

ROOT = Path(__file__).resolve().parents[2]
GOOD_KEY = "Zq3-vR8pLx_2mWk9sTb7NcYh4JdGf6Ae1Uo5Ri0PlQ-KzXyVw_HnMbC"  # 54 characters, many distinct


def production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TIERCARE_", "DJANGO_")) and k != "SECRET_KEY"}
    env.update(
        PYTHONPATH=str(ROOT / "src"),
        TIERCARE_DEBUG="false",
        TIERCARE_TESTING="false",
        TIERCARE_BEHIND_TLS_PROXY="true",
        ALLOWED_HOSTS="tiercare.example.org",
        SECRET_KEY=GOOD_KEY,
        TIERCARE_VAR_DIR=str(tmp_path),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    env.update(extra)
    return env


def manage(tmp_path: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=production_env(tmp_path, **extra),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNINGS" not in result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_check_deploy_warns_when_hsts_is_switched_off(tmp_path):
    # The clean run above is not vacuous: the same check does flag a weakened production.
    result = manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING", TIERCARE_HSTS_SECONDS="0")
    assert result.returncode != 0 and "security.W004" in result.stderr + result.stdout


@pytest.mark.parametrize("key", ["a" * 80, "abcdeabcde" * 8, "x" * 49, GOOD_KEY[:49]])
def test_weak_secret_keys_are_refused(key):
    with pytest.raises(ImproperlyConfigured):
        tiercare_settings.check_secret_key(key, production=True)


def test_secret_key_thresholds():
    assert tiercare_settings.check_secret_key(GOOD_KEY[:50], production=True) == GOOD_KEY[:50]  # exactly 50
    ten_distinct = "abcdefghij" * 5
    assert tiercare_settings.check_secret_key(ten_distinct, production=True) == ten_distinct
    with pytest.raises(ImproperlyConfigured):
        tiercare_settings.check_secret_key("abcdefghi" * 6, production=True)  # nine distinct


def test_development_key_is_refused_only_in_production():
    dev = tiercare_settings._INSECURE_DEV_KEY
    assert tiercare_settings.check_secret_key(dev, production=False) == dev
    with pytest.raises(ImproperlyConfigured):
        tiercare_settings.check_secret_key(dev, production=True)


def test_a_repeated_character_key_stops_the_process(tmp_path):
    result = manage(tmp_path, "check", SECRET_KEY="a" * 64)
    assert result.returncode != 0 and "ImproperlyConfigured" in result.stderr
    bad_hops = manage(tmp_path, "check", TIERCARE_TRUSTED_PROXY_HOPS="0")
    assert bad_hops.returncode != 0 and "TIERCARE_TRUSTED_PROXY_HOPS" in bad_hops.stderr


@pytest.mark.django_db
def test_every_page_carries_the_content_security_policy():
    response = Client().get("/login/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy


@pytest.mark.django_db
def test_api_docs_load_their_scripts_from_our_static_files(cast):
    client = Client()
    client.force_login(cast.ops)
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    body = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in body and "cdn." not in body
