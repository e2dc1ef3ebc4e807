"""API under load: gunicorn with 2 workers, 16 concurrent clients (wrk) on loopback.

    python -m benchmarks.api_load [--duration 30] [--connections 16] [--path /api/v1/goals/?page_size=50]

Baseline in the same run: the trivial JSON endpoint ``/healthz`` on the same gunicorn. Prints
throughput, p50/p99 latency and errors for both, then the ratio last. Target (issue 8): the API
list reaches ≥ 25 % of the trivial endpoint's throughput with p99 ≤ 150 ms and 0 errors.
Also usable as a soak test: ``--duration 600``. Needs ``wrk`` (Debian package ``wrk``).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from . import setup_django

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class LoadResult:
    label: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int

    def line(self) -> str:
        return (
            f"{self.label:<28} {self.requests_per_second:9.1f} req/s  p50 {self.p50_ms:7.1f} ms"
            f"  p99 {self.p99_ms:7.1f} ms  errors {self.errors}  requests {self.requests}"
        )


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip()).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def parse_wrk(label: str, output: str) -> LoadResult:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1))
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1))
    errors = 0
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    if non_2xx:
        errors += int(non_2xx.group(1))
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if socket_errors:
        errors += sum(int(x) for x in socket_errors.groups())
    return LoadResult(label, rps, p50, p99, errors, requests)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(port: int, workers: int) -> subprocess.Popen:
    env = {**os.environ, "DEBUG": "0", "DJANGO_SETTINGS_MODULE": "config.settings.local"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "gthread",
            "--threads",
            "4",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("gunicorn did not start")


def run_wrk(url: str, *, duration: int, connections: int, headers: dict[str, str]) -> str:
    command = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{duration}s", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    return subprocess.run([*command, url], check=True, capture_output=True, text=True).stdout


def api_token(username: str) -> str:
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    user = get_user_model().objects.get(username=username)
    return Token.objects.get_or_create(user=user)[0].key


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=30)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--user", default="finance")
    parser.add_argument("--path", default="/api/v1/goals/?page_size=50")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("需要 wrk：apt-get install wrk")
    setup_django()
    from performance.demo import load_demo

    load_demo()
    headers = {"Authorization": f"Token {api_token(args.user)}", "Accept-Language": "zh-hans"}
    port = free_port()
    server = start_gunicorn(port, args.workers)
    try:
        base = f"http://127.0.0.1:{port}"
        urllib.request.urlopen(
            urllib.request.Request(base + args.path, headers=headers), timeout=30
        ).read()  # warm up, and fail loudly if the endpoint errors
        trivial = parse_wrk(
            "trivial /healthz",
            run_wrk(
                base + "/healthz", duration=args.duration, connections=args.connections, headers={}
            ),
        )
        api = parse_wrk(
            f"API {args.path}",
            run_wrk(
                base + args.path,
                duration=args.duration,
                connections=args.connections,
                headers=headers,
            ),
        )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    print(trivial.line())
    print(api.line())
    ratio = api.requests_per_second / trivial.requests_per_second
    met = ratio >= 0.25 and api.p99_ms <= 150 and api.errors == 0
    print(
        f"RESULT api_load: throughput ratio {ratio:.1%} of trivial (target ≥ 25%), "
        f"p99 {api.p99_ms:.1f} ms (target ≤ 150), errors {api.errors} (target 0) → "
        f"{'met' if met else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
