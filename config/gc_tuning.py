"""Garbage-collector settings for the processes that serve requests.

A loaded Django process holds ~130,000 long-lived objects (modules, models, URL patterns,
serializer templates). CPython's generational collector walks all of them again each time its
oldest generation fills, and a list page of 50 goals with 750 indicators allocates enough
short-lived objects to trigger that every few requests: measured on that page, collection took
~15 ms of a ~75 ms request (``benchmarks/README.md``). So, once the application is loaded:

- ``gc.freeze()`` moves everything that exists to a permanent generation the collector no
  longer walks (with ``gunicorn --preload`` those pages also stay shared between workers);
- the youngest generation's threshold goes from 700 to ``GC_THRESHOLD`` allocations (default
  50,000): reference cycles are still collected, in fewer and larger batches. ``GC_THRESHOLD=0``
  leaves CPython's defaults untouched.

Applied by ``config/wsgi.py`` (gunicorn, and any other WSGI server) and by the API
benchmarks, which measure the API as it is served.
"""

from __future__ import annotations

import gc
import os

DEFAULT_THRESHOLD = 50_000


def tune_for_serving() -> None:
    threshold = int(os.environ.get("GC_THRESHOLD", DEFAULT_THRESHOLD))
    if threshold <= 0:
        return
    gc.collect()
    gc.freeze()
    _young, middle, old = gc.get_threshold()
    gc.set_threshold(threshold, middle, old)
