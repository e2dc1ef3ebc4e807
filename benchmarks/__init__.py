"""Benchmarks: each script measures the project's path and a baseline on the same data in the
same run and prints the ratio last. They are not tests and never fail CI on timing.

Run them on PostgreSQL (``make bench`` sets nothing itself: export DATABASE_URL first).
"""

from __future__ import annotations

import os


def setup_django() -> None:
    """Configure Django for a benchmark process (local settings, DEBUG off)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ.setdefault("DEBUG", "0")
    import django

    django.setup()
