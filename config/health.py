"""Probes for load balancers and orchestrators.

- ``/healthz`` (liveness): the process answers; touches nothing else, so a database outage
  does not get every web process restarted. Also the trivial baseline of
  ``benchmarks/api_load``.
- ``/readyz`` (readiness): the database answers a query and the Celery broker accepts a
  connection. 503 with the failing check named otherwise, so traffic is routed away until
  both are back.
"""

from __future__ import annotations

import logging

from django.db import connections
from django.http import JsonResponse

from config.celery import app as celery_app

logger = logging.getLogger(__name__)

BROKER_TIMEOUT = 2  # seconds: a readiness probe must answer before the prober gives up


def healthz(request):
    return JsonResponse({"status": "ok"})


def _database() -> None:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _broker() -> None:
    with celery_app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT)


CHECKS = {"database": _database, "broker": _broker}


def readyz(request):
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception as error:  # any failure means "not ready"; the log has the detail
            logger.warning("readiness check %s failed: %s", name, error)
            results[name] = f"不可用：{type(error).__name__}"
        else:
            results[name] = "ok"
    ready = all(value == "ok" for value in results.values())
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": results},
        status=200 if ready else 503,
    )
