"""Hardening: production settings, password rules, login throttling, session expiry, no secrets."""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from performance.demo import DEMO_PASSWORD

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
STRONG_KEY = "k3Q!x9-vR2#mZp7&Lw4@Yt8^Hs1*Nd6(Jc5)Bf0_Ge2+Ua7=Xo3~Ki9%Pr4"
LOGIN_URL = "/admin/login/"


def load_production(monkeypatch, **env):
    """Import ``config.settings.production`` afresh under ``env`` (values None are unset)."""
    for name, value in env.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    sys.modules.pop("config.settings.production", None)
    try:
        return importlib.import_module("config.settings.production")
    finally:
        sys.modules.pop("config.settings.production", None)


@pytest.mark.parametrize(
    "key",
    [
        None,
        "",
        "short-but-random-Kq81",
        "insecure-local-development-key-change-me" + "x" * 20,
        "django-insecure-" + "abcdefghij" * 5,
        "ab" * 40,  # long, but only two distinct characters
    ],
)
def test_production_refuses_a_missing_or_weak_secret_key(monkeypatch, key):
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY"):
        load_production(monkeypatch, SECRET_KEY=key, ALLOWED_HOSTS="example.org")


def test_production_requires_allowed_hosts(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="ALLOWED_HOSTS"):
        load_production(monkeypatch, SECRET_KEY=STRONG_KEY, ALLOWED_HOSTS=None)


def test_production_serves_https_only_with_secure_cookies(monkeypatch):
    production = load_production(monkeypatch, SECRET_KEY=STRONG_KEY, ALLOWED_HOSTS="example.org")
    assert production.DEBUG is False
    assert production.SECURE_SSL_REDIRECT is True
    assert production.SECURE_PROXY_SSL_HEADER == ("HTTP_X_FORWARDED_PROTO", "https")
    assert production.SECURE_HSTS_SECONDS >= 365 * 24 * 3600
    assert production.SESSION_COOKIE_SECURE and production.CSRF_COOKIE_SECURE
    assert production.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert production.REST_FRAMEWORK["NUM_PROXIES"] == 1  # the address the proxy saw


def test_the_deploy_check_is_clean_with_production_settings():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": STRONG_KEY,
        "ALLOWED_HOSTS": "example.org",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


# --- passwords -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("12345678", "太短"),
        ("1234567890123", "只包含数字"),
        ("password1234", "太常见"),
        ("newclerk2024x", "相似"),
    ],
)
def test_the_admin_refuses_a_weak_password_for_a_new_user(client, superuser, password, reason):
    client.force_login(superuser)
    response = client.post(
        "/admin/auth/user/add/",
        {
            "username": "newclerk2024",
            "usable_password": "true",
            "password1": password,
            "password2": password,
        },
    )
    assert response.status_code == 200
    errors = " ".join(
        str(e) for e in response.context["adminform"].form.errors.get("password2", [])
    )
    assert reason in errors, errors
    assert not get_user_model().objects.filter(username="newclerk2024").exists()


def test_the_admin_accepts_a_strong_password(client, superuser):
    client.force_login(superuser)
    response = client.post(
        "/admin/auth/user/add/",
        {
            "username": "newclerk2024",
            "usable_password": "true",
            "password1": "绩效-目标-2024-Kx9!",
            "password2": "绩效-目标-2024-Kx9!",
        },
    )
    assert response.status_code == 302
    assert (
        get_user_model().objects.get(username="newclerk2024").check_password("绩效-目标-2024-Kx9!")
    )


# --- login throttling ------------------------------------------------------------------------


@pytest.fixture
def clean_cache():
    cache.clear()
    yield
    cache.clear()


def admin_login(client, username: str, password: str, **extra):
    return client.post(
        LOGIN_URL, {"username": username, "password": password, "next": "/admin/"}, **extra
    )


def login_errors(response) -> str:
    return " ".join(response.context["form"].non_field_errors()) if response.context else ""


def test_the_admin_locks_a_username_after_five_failures_from_one_address(
    client, clean_cache, filler
):
    for _ in range(4):
        response = admin_login(client, "filler027", "wrong-password")
        assert response.status_code == 200 and "请输入一个正确的" in login_errors(response)
    fifth = admin_login(client, "filler027", "wrong-password")
    assert "登录失败次数过多" in login_errors(fifth) and "15 分钟后再试" in login_errors(fifth)
    # Now even the right password is refused, without being checked.
    right = admin_login(client, "filler027", DEMO_PASSWORD)
    assert right.status_code == 200 and "登录失败次数过多" in login_errors(right)
    assert "_auth_user_id" not in client.session


def test_the_lockout_is_per_username_and_address(client, clean_cache, filler, unit_reviewer):
    for _ in range(5):
        admin_login(client, "filler027", "wrong-password")
    # Another user from the same address, and the same user from another address, may log in.
    assert admin_login(client, "reviewer027", DEMO_PASSWORD).status_code == 302
    client.logout()
    other = admin_login(client, "filler027", DEMO_PASSWORD, REMOTE_ADDR="10.1.2.3")
    assert other.status_code == 302


def test_a_successful_login_clears_the_failures(client, clean_cache, filler):
    for _ in range(4):
        admin_login(client, "filler027", "wrong-password")
    assert admin_login(client, "filler027", DEMO_PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        response = admin_login(client, "filler027", "wrong-password")
    assert "登录失败次数过多" not in login_errors(response)
    assert admin_login(client, "filler027", DEMO_PASSWORD).status_code == 302


def test_the_lockout_ends_after_the_lockout_window(client, clean_cache, filler, monkeypatch):
    for _ in range(5):
        admin_login(client, "filler027", "wrong-password")
    assert "登录失败次数过多" in login_errors(admin_login(client, "filler027", DEMO_PASSWORD))
    later = time.time() + settings.LOGIN_LOCKOUT_SECONDS + 1
    monkeypatch.setattr(time, "time", lambda: later)  # the cache's clock too
    assert admin_login(client, "filler027", DEMO_PASSWORD).status_code == 302


def test_the_api_token_endpoint_shares_the_failure_counter(client, clean_cache, filler):
    from rest_framework.test import APIClient

    for _ in range(3):
        admin_login(client, "filler027", "wrong-password")
    api = APIClient()
    guesses = [
        api.post("/api/v1/auth/token/", {"username": "filler027", "password": "wrong"})
        for _ in range(3)
    ]
    assert [r.status_code for r in guesses] == [400, 400, 429]
    assert guesses[-1].json()["code"] == "throttled"
    assert "登录失败次数过多" in guesses[-1].json()["detail"]
    assert int(guesses[-1]["Retry-After"]) > 0
    right = api.post("/api/v1/auth/token/", {"username": "filler027", "password": DEMO_PASSWORD})
    assert right.status_code == 429
    assert "登录失败次数过多" in login_errors(admin_login(client, "filler027", DEMO_PASSWORD))
    english = APIClient(HTTP_ACCEPT_LANGUAGE="en").post(
        "/api/v1/auth/token/", {"username": "filler027", "password": DEMO_PASSWORD}
    )
    assert english.json()["detail"].startswith("Too many failed logins")


# --- sessions --------------------------------------------------------------------------------


def test_an_admin_session_ends_when_the_browser_closes_and_after_eight_hours(
    client, clean_cache, filler
):
    response = admin_login(client, "filler027", DEMO_PASSWORD)
    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    # A browser-session cookie: no Expires / Max-Age, so closing the browser forgets it.
    assert cookie["expires"] == "" and cookie["max-age"] == ""
    assert cookie["httponly"]
    assert settings.SESSION_COOKIE_AGE == 8 * 3600
    session = Session.objects.get(session_key=cookie.value)
    remaining = (session.expire_date - timezone.now()).total_seconds()
    assert 8 * 3600 - 60 < remaining <= 8 * 3600
    assert client.get("/admin/").status_code == 200
    # Eight hours later the server no longer knows the session, whatever the browser keeps.
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now())
    expired = client.get("/admin/")
    assert expired.status_code == 302 and expired["Location"].startswith(LOGIN_URL)


# --- secrets ---------------------------------------------------------------------------------

SECRET_PATTERNS = {
    "private key": re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----"),
    "AWS access key": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36}\b"),
    "Slack token": re.compile(r"\bxox[abpr]-[A-Za-z0-9-]{10,}"),
    "hard-coded SECRET_KEY": re.compile(r"""SECRET_KEY\s*=\s*["'](?!insecure-)[^"'\s]{30,}["']"""),
    # user:password@host, except placeholders (user:pass, the local perf:perf, ${VARIABLES})
    "password in a URL": re.compile(r"://[\w.-]+:(?!(?:perf|pass|password)@)[^@\s/${}:]{4,}@"),
}


def test_no_secrets_are_committed():
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, timeout=60
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    found = []
    for name in filter(None, listed.decode().split("\0")):
        path = ROOT / name
        if path.name.startswith(".env") or path.suffix in {".pem", ".key", ".p12", ".pfx"}:
            found.append(f"{name}: secret-looking file")
            continue
        if not path.is_file() or path.stat().st_size > 2_000_000:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # binary (xlsx, mo, png)
        if name == "tests/projects/test_security.py":
            continue  # the patterns themselves
        for what, pattern in SECRET_PATTERNS.items():
            if pattern.search(text):
                found.append(f"{name}: {what}")
    assert not found, found


def test_behind_the_proxy_a_forged_forwarded_for_does_not_escape_the_lockout(
    client, clean_cache, filler, settings
):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}  # as in production
    for i in range(5):
        # The client invents an address; the proxy appends the real one.
        admin_login(
            client, "filler027", "wrong-password", HTTP_X_FORWARDED_FOR=f"10.0.0.{i}, 203.0.113.9"
        )
    right = admin_login(
        client, "filler027", DEMO_PASSWORD, HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.9"
    )
    assert "登录失败次数过多" in login_errors(right)
    elsewhere = admin_login(
        client, "filler027", DEMO_PASSWORD, HTTP_X_FORWARDED_FOR="10.9.9.9, 198.51.100.7"
    )
    assert elsewhere.status_code == 302
