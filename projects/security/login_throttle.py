"""Password guessing protection: failure counters per username and address, and per address.

After ``LOGIN_FAILURE_LIMIT`` failed logins of one username from one address within
``LOGIN_LOCKOUT_SECONDS``, that pair is locked out for ``LOGIN_LOCKOUT_SECONDS``; a successful
login clears the pair's counter. After ``LOGIN_ADDRESS_FAILURE_LIMIT`` failures from one
address, whatever the usernames (one address trying a password on many accounts), the whole
address is locked out as long; a success does not clear that counter, or one valid account
would let the address go on guessing the others. The counters live in the cache (Redis in
production, shared by every web process). The admin login form and the API token endpoint both
use them, so guessing through either door counts against the same limits. The address is
``projects.security.client_address.client_address``, as for the API's throttles.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext

DEFAULT_FAILURE_LIMIT = 5
DEFAULT_ADDRESS_FAILURE_LIMIT = 20
DEFAULT_LOCKOUT_SECONDS = 15 * 60


def failure_limit() -> int:
    return int(getattr(settings, "LOGIN_FAILURE_LIMIT", DEFAULT_FAILURE_LIMIT))


def address_failure_limit() -> int:
    return int(getattr(settings, "LOGIN_ADDRESS_FAILURE_LIMIT", DEFAULT_ADDRESS_FAILURE_LIMIT))


def lockout_seconds() -> int:
    return int(getattr(settings, "LOGIN_LOCKOUT_SECONDS", DEFAULT_LOCKOUT_SECONDS))


@dataclass(frozen=True)
class Lockout:
    """A refusal: how long to wait, and whether the whole address (not one account) is locked."""

    seconds: int
    whole_address: bool

    @property
    def message(self) -> str:
        minutes = max(1, math.ceil(self.seconds / 60))
        if self.whole_address:
            text = gettext(
                "此地址登录失败次数过多，已暂时禁止从此地址登录，请 %(minutes)d 分钟后再试。"
            )
        else:
            text = gettext(
                "登录失败次数过多，该账号已在此地址暂时锁定，请 %(minutes)d 分钟后再试。"
            )
        return text % {"minutes": minutes}


def _digest(text: str) -> str:
    # Hashed: usernames are user input of any length and alphabet; cache keys are not.
    return hashlib.sha256(text.encode()).hexdigest()


def _pair_keys(username: str, ident: str) -> tuple[str, str]:
    digest = _digest(f"{(username or '').strip().lower()}\0{ident}")
    return f"login-failures:{digest}", f"login-locked:{digest}"


def _address_keys(ident: str) -> tuple[str, str]:
    digest = _digest(ident)
    return f"login-address-failures:{digest}", f"login-address-locked:{digest}"


def _wait(lock_key: str) -> int:
    until = cache.get(lock_key)
    if until is None:
        return 0
    return max(0, math.ceil(until - time.time()))


def current_lockout(username: str, ident: str) -> Lockout | None:
    """The lockout that refuses this username from this address now, if any."""
    address_wait = _wait(_address_keys(ident)[1])
    pair_wait = _wait(_pair_keys(username, ident)[1])
    if not address_wait and not pair_wait:
        return None
    if address_wait >= pair_wait:
        return Lockout(address_wait, whole_address=True)
    return Lockout(pair_wait, whole_address=False)


def _count(count_key: str, lock_key: str, limit: int, window: int) -> bool:
    """Add one failure in the window; True (and the lock set) once ``limit`` is reached."""
    if cache.add(count_key, 1, timeout=window):
        count = 1
    else:
        try:
            count = cache.incr(count_key)
        except ValueError:  # expired between add() and incr()
            cache.set(count_key, 1, timeout=window)
            count = 1
    if count >= limit:
        cache.set(lock_key, time.time() + window, timeout=window)
        cache.delete(count_key)
        return True
    return False


def record_failure(username: str, ident: str) -> Lockout | None:
    """Count a failed login for the pair and the address; the lockout it caused, if any."""
    window = lockout_seconds()
    address_locked = _count(*_address_keys(ident), address_failure_limit(), window)
    pair_locked = _count(*_pair_keys(username, ident), failure_limit(), window)
    if address_locked or pair_locked:
        return Lockout(window, whole_address=address_locked)
    return None


def reset(username: str, ident: str) -> None:
    """A successful login forgets the pair's failures (not the address's)."""
    cache.delete_many(list(_pair_keys(username, ident)))
