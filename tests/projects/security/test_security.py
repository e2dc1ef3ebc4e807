"""Hardening: production settings, password rules, login throttling, session expiry, no secrets."""

from __future__ import annotations

import importlib
import os
import re
import shutil
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

ROOT = Path(__file__).resolve().parents[3]
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
    # No forwarded address is believed until the operator names the proxy (TRUSTED_PROXIES).
    assert production.TRUSTED_PROXIES == []
    assert "NUM_PROXIES" not in production.REST_FRAMEWORK


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
        if name == "tests/projects/security/test_security.py":
            continue  # the patterns themselves
        for what, pattern in SECRET_PATTERNS.items():
            if pattern.search(text):
                found.append(f"{name}: {what}")
    assert not found, found


def test_behind_the_proxy_a_forged_forwarded_for_does_not_escape_the_lockout(
    client, clean_cache, filler, settings
):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]  # the test client's peer is the proxy
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


# --- who is the client -----------------------------------------------------------------------
# projects.security.client_address: X-Forwarded-For counts only from TRUSTED_PROXIES (empty by default).

TOKEN_URL = "/api/v1/auth/token/"


def load_settings_module(monkeypatch, name: str, **env):
    """Import ``config.settings.<name>`` (and the base it star-imports) afresh under ``env``."""
    for variable, value in env.items():
        if value is None:
            monkeypatch.delenv(variable, raising=False)
        else:
            monkeypatch.setenv(variable, value)
    saved = {
        m: sys.modules.pop(m, None) for m in ("config.settings.base", f"config.settings.{name}")
    }
    try:
        return importlib.import_module(f"config.settings.{name}")
    finally:
        for module, original in saved.items():
            sys.modules.pop(module, None)
            if original is not None:
                sys.modules[module] = original


@pytest.mark.parametrize(
    ("trusted", "remote", "forwarded", "expected"),
    [
        ([], "198.51.100.7", None, "198.51.100.7"),
        ([], "198.51.100.7", "10.0.0.1", "198.51.100.7"),  # nobody is believed by default
        (["10.0.0.1"], "198.51.100.7", "203.0.113.9", "198.51.100.7"),  # not from the proxy
        (["10.0.0.1"], "10.0.0.1", None, "10.0.0.1"),
        (["10.0.0.1"], "10.0.0.1", "203.0.113.9", "203.0.113.9"),
        (["10.0.0.1"], "10.0.0.1", "1.1.1.1, 203.0.113.9", "203.0.113.9"),  # forged on the left
        (["10.0.0.0/8"], "10.0.0.1", "1.1.1.1, 203.0.113.9, 10.0.0.2", "203.0.113.9"),  # a chain
        (["10.0.0.0/8"], "10.0.0.1", "10.0.0.3, 10.0.0.2", "10.0.0.3"),  # all proxies
        (["10.0.0.1"], "10.0.0.1", "1.1.1.1, garbage", "10.0.0.1"),  # not an address: stop
        (["10.0.0.1"], "10.0.0.1", "203.0.113.9:4711", "203.0.113.9"),
        (["10.0.0.1"], "10.0.0.1", "[2001:db8::7]:4711", "2001:db8::7"),
        (["fd00::/8"], "fd00::1", "2001:db8::7", "2001:db8::7"),
        (["10.0.0.1"], "::ffff:10.0.0.1", "::ffff:203.0.113.9", "203.0.113.9"),
    ],
)
def test_the_client_address_believes_forwarded_for_only_from_trusted_proxies(
    rf, settings, trusted, remote, forwarded, expected
):
    from projects.security.client_address import client_address

    settings.TRUSTED_PROXIES = trusted
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    assert client_address(rf.get("/", **extra)) == expected


def test_a_malformed_trusted_proxy_stops_the_start(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="TRUSTED_PROXIES"):
        load_settings_module(monkeypatch, "local", TRUSTED_PROXIES="10.0.0.1/8")
    local = load_settings_module(monkeypatch, "local", TRUSTED_PROXIES="10.0.0.0/8, 172.18.0.1")
    assert local.TRUSTED_PROXIES == ["10.0.0.0/8", "172.18.0.1"]


def test_production_refuses_the_retired_num_proxies(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="TRUSTED_PROXIES"):
        load_production(
            monkeypatch, SECRET_KEY=STRONG_KEY, ALLOWED_HOSTS="example.org", NUM_PROXIES="1"
        )


def test_without_trusted_proxies_a_forged_forwarded_for_does_not_escape_the_lockout(
    client, clean_cache, filler
):
    # As in `make run`: the header is the client's own invention, whatever it says.
    for i in range(5):
        admin_login(client, "filler027", "wrong-password", HTTP_X_FORWARDED_FOR=f"10.0.0.{i}")
    again = admin_login(client, "filler027", DEMO_PASSWORD, HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert "登录失败次数过多" in login_errors(again)
    assert "_auth_user_id" not in client.session


def test_with_production_settings_a_rotating_forwarded_for_is_throttled(
    monkeypatch, settings, clean_cache, filler
):
    from rest_framework.test import APIClient

    production = load_production(monkeypatch, SECRET_KEY=STRONG_KEY, ALLOWED_HOSTS="example.org")
    settings.TRUSTED_PROXIES = getattr(production, "TRUSTED_PROXIES", [])
    settings.REST_FRAMEWORK = {
        **production.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"auth": "3/min"},
    }
    # gunicorn published directly: the attacker is the peer and writes any header it likes.
    api = APIClient(REMOTE_ADDR="198.51.100.7")
    statuses = [
        api.post(
            TOKEN_URL,
            {"username": f"nobody{i}", "password": "guess"},
            HTTP_X_FORWARDED_FOR=f"203.0.113.{i}",
        ).status_code
        for i in range(4)
    ]
    assert statuses == [400, 400, 400, 429]
    # Another client is not held back by the attacker's limit.
    other = APIClient(REMOTE_ADDR="198.51.100.8").post(
        TOKEN_URL, {"username": "filler027", "password": DEMO_PASSWORD}
    )
    assert other.status_code == 200


def test_behind_a_trusted_proxy_the_token_throttle_counts_the_real_client(settings, clean_cache):
    from rest_framework.test import APIClient

    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"auth": "2/min"},
    }
    proxy = APIClient(REMOTE_ADDR="10.0.0.1")

    def guess(forwarded: str) -> int:
        data = {"username": "nobody", "password": "guess"}
        return proxy.post(TOKEN_URL, data, HTTP_X_FORWARDED_FOR=forwarded).status_code

    # The client forges the left part; the proxy appends the address it saw.
    assert [guess(f"1.1.1.{i}, 198.51.100.7") for i in range(3)] == [400, 400, 429]
    assert guess("1.1.1.1, 198.51.100.8") == 400  # another client through the same proxy


# --- one address, many usernames -------------------------------------------------------------


def test_one_address_trying_many_usernames_is_stopped(client, clean_cache, filler):
    limit = settings.LOGIN_ADDRESS_FAILURE_LIMIT
    assert limit < 30
    responses = [admin_login(client, f"spray{i:02d}", "Spring2024!") for i in range(30)]
    assert all("请输入一个正确的" in login_errors(r) for r in responses[: limit - 1])
    blocked = [login_errors(r) for r in responses[limit - 1 :]]
    assert all("此地址登录失败次数过多" in errors for errors in blocked), blocked
    assert "15 分钟后再试" in blocked[-1]
    # The right password of a real account from that address is refused unchecked as well …
    right = admin_login(client, "filler027", DEMO_PASSWORD)
    assert "此地址登录失败次数过多" in login_errors(right)
    assert "_auth_user_id" not in client.session
    # … and the token endpoint, sharing the counter, refuses the address too.
    from rest_framework.test import APIClient

    token = APIClient().post(TOKEN_URL, {"username": "filler027", "password": DEMO_PASSWORD})
    assert token.status_code == 429 and "此地址登录失败次数过多" in token.json()["detail"]
    english = APIClient(HTTP_ACCEPT_LANGUAGE="en").post(
        TOKEN_URL, {"username": "filler027", "password": DEMO_PASSWORD}
    )
    assert english.json()["detail"].startswith("Too many failed logins from this address")


def test_a_spraying_address_does_not_lock_out_anyone_elsewhere(client, clean_cache, filler):
    for i in range(30):
        admin_login(client, f"spray{i:02d}", "Spring2024!", REMOTE_ADDR="203.0.113.66")
    assert (
        admin_login(client, "filler027", DEMO_PASSWORD, REMOTE_ADDR="198.51.100.7").status_code
        == 302
    )


def test_failures_through_both_doors_add_up_for_the_address(client, clean_cache, settings, filler):
    from rest_framework.test import APIClient

    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 6
    api = APIClient()
    for i in range(3):
        admin_login(client, f"spray{i}", "guess")
    statuses = [
        api.post(TOKEN_URL, {"username": f"other{i}", "password": "guess"}).status_code
        for i in range(4)
    ]
    assert statuses == [400, 400, 400, 429]


def test_a_rotating_forwarded_for_from_an_untrusted_peer_does_not_escape_the_address_limit(
    client, clean_cache, settings, filler
):
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    for i in range(30):
        admin_login(
            client,
            f"spray{i:02d}",
            "Spring2024!",
            REMOTE_ADDR="203.0.113.66",
            HTTP_X_FORWARDED_FOR=f"10.0.0.1, 198.51.100.{i}",
        )
    right = admin_login(
        client,
        "filler027",
        DEMO_PASSWORD,
        REMOTE_ADDR="203.0.113.66",
        HTTP_X_FORWARDED_FOR="198.51.100.200",
    )
    assert "此地址登录失败次数过多" in login_errors(right)


def test_behind_a_trusted_proxy_the_address_limit_counts_the_real_client(
    client, clean_cache, settings, filler
):
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    via_proxy = {"REMOTE_ADDR": "10.0.0.1"}
    for i in range(30):
        admin_login(
            client,
            f"spray{i:02d}",
            "Spring2024!",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{i}, 203.0.113.66",
            **via_proxy,
        )
    sprayer = admin_login(
        client, "filler027", DEMO_PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.66", **via_proxy
    )
    assert "此地址登录失败次数过多" in login_errors(sprayer)
    # Everyone else behind the same proxy logs in: the proxy's own address is not the client.
    other = admin_login(
        client, "filler027", DEMO_PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.7", **via_proxy
    )
    assert other.status_code == 302


# --- docker: gunicorn believes the same proxies ----------------------------------------------


def run_entrypoint_web(tmp_path, **env) -> list[str]:
    """The arguments docker/entrypoint.sh gives gunicorn (a stand-in prints them)."""
    fake = tmp_path / "gunicorn"
    fake.write_text('#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done\n')
    fake.chmod(0o755)
    environment = {"PATH": f"{tmp_path}:/usr/bin:/bin", **env}
    result = subprocess.run(
        ["sh", str(ROOT / "docker" / "entrypoint.sh"), "web"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return result.stdout.splitlines()


def forwarded_allow_ips(arguments: list[str]) -> str:
    values = [a.partition("=")[2] for a in arguments if a.startswith("--forwarded-allow-ips=")]
    values += [arguments[i + 1] for i, a in enumerate(arguments) if a == "--forwarded-allow-ips"]
    assert len(values) == 1, arguments
    return values[0]


def test_gunicorn_believes_no_forwarding_headers_by_default(tmp_path):
    assert forwarded_allow_ips(run_entrypoint_web(tmp_path)) == ""
    configured = run_entrypoint_web(tmp_path, TRUSTED_PROXIES="172.18.0.1,10.0.0.0/8")
    assert forwarded_allow_ips(configured) == "172.18.0.1,10.0.0.0/8"


def test_compose_passes_trusted_proxies_empty_by_default():
    yaml = pytest.importorskip("yaml")
    compose = shutil.which("docker-compose")
    if compose is None:
        pytest.skip("docker-compose 未安装")
    env = {**os.environ, "SECRET_KEY": "x"}
    env.pop("TRUSTED_PROXIES", None)
    rendered = subprocess.run(
        [compose, "-f", str(ROOT / "docker" / "compose.yml"), "config"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    web = yaml.safe_load(rendered)["services"]["web"]
    assert web["environment"]["TRUSTED_PROXIES"] in ("", None)
    assert "NUM_PROXIES" not in web["environment"]
