#!/bin/sh
# One image, several roles: web | worker | beat | migrate | any command.
# `migrate` runs once per deploy (the compose `migrate` service) before the others start.
set -e
case "$1" in
  migrate)
    python manage.py migrate --noinput
    # The beat schedules (daily reminders, nightly recompute) live in the database; this
    # creates the missing ones and never overwrites what an administrator changed.
    exec python manage.py setup_schedules
    ;;
  web)
    # gunicorn believes forwarding headers from the same proxies as Django does (README,
    # "Security"): TRUSTED_PROXIES, empty by default, so no peer is believed.
    exec gunicorn config.wsgi:application --bind 0.0.0.0:8000 \
      --workers "${GUNICORN_WORKERS:-2}" --threads "${GUNICORN_THREADS:-4}" \
      --timeout "${GUNICORN_TIMEOUT:-60}" --graceful-timeout 30 \
      --access-logfile - --forwarded-allow-ips "${TRUSTED_PROXIES:-}"
    ;;
  worker)
    # acks_late: a task is acknowledged only when done. A worker stopped with SIGTERM finishes
    # its running tasks (give it the grace period); one killed outright has them redelivered.
    exec celery -A config worker --loglevel INFO \
      --concurrency "${CELERY_CONCURRENCY:-2}" \
      --max-tasks-per-child "${CELERY_MAX_TASKS_PER_CHILD:-500}" \
      -n "worker@%h"
    ;;
  beat)
    # Exactly one beat per deployment: it only publishes the due schedules.
    exec celery -A config beat --loglevel INFO --pidfile /tmp/celerybeat.pid
    ;;
  *)
    exec "$@"
    ;;
esac
