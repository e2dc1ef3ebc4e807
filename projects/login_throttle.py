"""Password guessing protection: a failure counter per username and client address.

After ``LOGIN_FAILURE_LIMIT`` failed logins of one username from one address within
``LOGIN_LOCKOUT_SECONDS``, that pair is locked out for ``LOGIN_LOCKOUT_SECONDS``; a successful
login clears the counter. The counter lives in the cache (Redis in production, shared by every
web process). The admin login form and the API token endpoint both use it, so guessing through
either door counts against the same limit. The client address is taken exactly as DRF's
throttles take it (``REMOTE_ADDR``, or ``X-Forwarded-For`` with ``REST_FRAMEWORK["NUM_PROXIES"]``),
so both doors also agree behind a proxy.
"""

from __future__ import annotations

import hashlib
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext
from rest_framework.throttling import BaseThrottle

DEFAULT_FAILURE_LIMIT = 5
DEFAULT_LOCKOUT_SECONDS = 15 * 60


def failure_limit() -> int:
    return int(getattr(settings, "LOGIN_FAILURE_LIMIT", DEFAULT_FAILURE_LIMIT))


def lockout_seconds() -> int:
    return int(getattr(settings, "LOGIN_LOCKOUT_SECONDS", DEFAULT_LOCKOUT_SECONDS))


def client_ident(request) -> str:
    """The client's address as DRF's throttles see it (honours ``NUM_PROXIES``)."""
    return BaseThrottle().get_ident(request) or "unknown"


def _keys(username: str, ident: str) -> tuple[str, str]:
    # Hashed: usernames are user input of any length and alphabet; cache keys are not.
    digest = hashlib.sha256(f"{(username or '').strip().lower()}\0{ident}".encode()).hexdigest()
    return f"login-failures:{digest}", f"login-locked:{digest}"


def locked_for(username: str, ident: str) -> int:
    """Seconds the pair must still wait (0 when it may try)."""
    _count_key, lock_key = _keys(username, ident)
    until = cache.get(lock_key)
    if until is None:
        return 0
    return max(0, math.ceil(until - time.time()))


def record_failure(username: str, ident: str) -> int:
    """Count a failed login; locks the pair once the limit is reached. Returns the wait (s)."""
    count_key, lock_key = _keys(username, ident)
    window = lockout_seconds()
    if cache.add(count_key, 1, timeout=window):
        count = 1
    else:
        try:
            count = cache.incr(count_key)
        except ValueError:  # expired between add() and incr()
            cache.set(count_key, 1, timeout=window)
            count = 1
    if count >= failure_limit():
        cache.set(lock_key, time.time() + window, timeout=window)
        cache.delete(count_key)
        return window
    return 0


def reset(username: str, ident: str) -> None:
    """A successful login forgets the pair's failures."""
    cache.delete_many(list(_keys(username, ident)))


def locked_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return gettext("登录失败次数过多，该账号已在此地址暂时锁定，请 %(minutes)d 分钟后再试。") % {
        "minutes": minutes
    }
