"""Serve the admin with a Celery worker and beat beside it, for `make run`.

The worker and beat use the embedded filesystem broker unless REDIS_URL is set; all three
processes stop together on Ctrl-C.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "启动开发服务器，同时启动 Celery worker 和 beat（无需 Redis）。"

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")
        parser.add_argument("--no-celery", action="store_true", help="只启动 Web 服务。")

    def handle(self, *args, **options):
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        celery = [sys.executable, "-m", "celery", "-A", "config"]
        children: list[subprocess.Popen] = []
        if not options["no_celery"]:
            children.append(
                subprocess.Popen(
                    [*celery, "worker", "--loglevel", "INFO", "--concurrency", "2", "-n", "dev@%h"],
                    env=env,
                )
            )
            children.append(subprocess.Popen([*celery, "beat", "--loglevel", "INFO"], env=env))
        address = f"{options['host']}:{options['port']}"
        self.stdout.write(self.style.SUCCESS(f"管理后台：http://{address}/admin/"))
        web = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", address, "--noreload"], env=env
        )
        children.append(web)
        try:
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
            for child in children:
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()
