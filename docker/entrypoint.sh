#!/bin/sh
# web | worker | beat | migrate | any command
set -e
case "$1" in
  web)
    python manage.py migrate --noinput
    exec gunicorn config.wsgi:application --bind 0.0.0.0:8000 \
      --workers "${GUNICORN_WORKERS:-2}" --threads "${GUNICORN_THREADS:-4}" \
      --access-logfile - --forwarded-allow-ips="*"
    ;;
  worker)
    exec celery -A config worker --loglevel INFO --concurrency "${CELERY_CONCURRENCY:-2}" -n "worker@%h"
    ;;
  beat)
    exec celery -A config beat --loglevel INFO
    ;;
  migrate)
    exec python manage.py migrate --noinput
    ;;
  *)
    exec "$@"
    ;;
esac
