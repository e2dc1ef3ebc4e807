"""API under load: gunicorn with 2 workers, 16 concurrent clients (wrk) on loopback, 30 s.

    python -m benchmarks.api_load [--duration 30] [--connections 16] [--path /api/v1/goals/]
    python -m benchmarks.api_load --profile     # in process: each kind of request, profiled

The load is a finance bureau's API client on the synthetic province (``benchmarks.generate``,
100,000 projects): goal detail, a department's goals 20 per page and a department's summary
(see :func:`finance_mix`), requested at random by a wrk Lua script as the province's
财政审核人 (token authentication). ``--path`` loads a single path instead.

Context in the same run: the trivial JSON endpoint ``/healthz`` on the same gunicorn, which by
design does none of the API's work (the API's figure of merit is its floor:
``benchmarks.api_floor``). ``--repeat`` wrk runs of each (default 3), the two taking turns in
an order rotated every round; prints every run, then the median, fastest and slowest and
spread of throughput, p50 and p99 for both, then the ratio of the median throughputs with the
per-round range. Every path of the mix is requested once before (a non-2xx stops the script);
wrk counts non-2xx answers and socket errors as errors. Target (issue 8): the API reaches
≥ 25 % of the trivial endpoint's throughput with p99 ≤ 150 ms and 0 errors.
Also usable as a soak test: ``--duration 600``. ``--profile`` runs no server: it requests
each kind of path of the mix in this process (Django's test client, the whole middleware stack)
and prints its median time, its queries and a pyinstrument profile. Needs ``wrk`` (Debian package ``wrk``).
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
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from . import setup_django
from .measure import describe, median, rounds

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


def run_wrk(
    url: str,
    *,
    duration: int,
    connections: int,
    headers: dict[str, str],
    script: str | None = None,
) -> str:
    command = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{duration}s", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    if script:
        command += ["-s", script]
    return subprocess.run([*command, url], check=True, capture_output=True, text=True).stdout


def finance_mix(*, seed: int = 8) -> list[tuple[str, int]]:
    """A finance bureau's API client over the synthetic province, as (path, weight):

    - 50 % goal detail (``/goals/{id}/``: a project's targets with its 15 indicators, quality
      findings and the caller's allowed actions) — reviewing projects one by one;
    - 30 % a department's goals, 20 per page (``/goals/?department=…&year=…&page_size=20``)
      — going through a department's submissions;
    - 20 % a department's summary by unit (``/summaries/?department=…&year=…``) — the
      dashboard figures: goals by status, budget execution, grades, lights.

    Goals and departments are drawn across the whole province with a fixed seed.
    """
    import random

    from performance.models import PerformanceGoal
    from projects.models import Unit

    from .generate import PREFIX, YEAR

    rng = random.Random(seed)
    departments = list(
        Unit.objects.filter(path__startswith=f"/{PREFIX}/", kind="department")
        .order_by("code")
        .values_list("code", flat=True)
    )
    goal_ids = list(
        PerformanceGoal.objects.filter(unit__path__startswith=f"/{PREFIX}/", year=YEAR)
        .order_by("id")
        .values_list("id", flat=True)
    )
    mix = [(f"/api/v1/goals/{goal}/", 5) for goal in rng.sample(goal_ids, 100)]
    for code in rng.sample(departments, min(50, len(departments))):
        mix.append((f"/api/v1/goals/?department={code}&year={YEAR}&page_size=20", 6))
        mix.append((f"/api/v1/summaries/?department={code}&year={YEAR}", 4))
    return mix


def profile_mix(projects: int) -> None:
    """Each kind of request of :func:`finance_mix`, in this process as the served API runs
    (``config.gc_tuning``): median of 20 paths, queries and SQL time of one, then a pyinstrument
    profile of the 20."""
    import statistics

    setup_django()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from config.gc_tuning import tune_for_serving

    from .api_pagination import bench_user, profile
    from .recompute import scope_units

    scope_units(projects)
    _user, token = bench_user()
    client = Client(HTTP_AUTHORIZATION=f"Token {token}", HTTP_ACCEPT_LANGUAGE="zh-hans")
    paths = [path for path, _weight in finance_mix()]
    kinds = {
        "goal detail": [p for p in paths if p.startswith("/api/v1/goals/") and "?" not in p],
        "department goals": [p for p in paths if p.startswith("/api/v1/goals/?")],
        "department summary": [p for p in paths if p.startswith("/api/v1/summaries/")],
    }
    for kind in kinds:
        kinds[kind] = kinds[kind][:20]
        for path in kinds[kind]:  # warm-up, and fail loudly if an endpoint errors
            response = client.get(path)
            if response.status_code != 200:
                raise SystemExit(f"{path}: HTTP {response.status_code}")
    tune_for_serving()
    for kind, some in kinds.items():
        times = []
        for path in some:
            started = time.perf_counter()
            client.get(path)
            times.append(time.perf_counter() - started)
        with CaptureQueriesContext(connection) as queries:
            client.get(some[0])
        sql = sum(float(query["time"]) for query in queries.captured_queries) * 1000
        print(
            f"== {kind}: median {statistics.median(times) * 1000:.1f} ms,"
            f" {len(queries.captured_queries)} queries ({sql:.1f} ms of SQL)",
            flush=True,
        )
        profile(lambda some=some: [client.get(path) for path in some], times=1)


def wrk_script(mix: list[tuple[str, int]]) -> str:
    """A wrk Lua script requesting the mix's paths at random, in proportion to their weights."""
    lines = ",\n".join(f"  {path!r}" for path, weight in mix for _ in range(weight))
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(
            "local paths = {\n" + lines.replace("'", '"') + "\n}\nrequest = function()\n"
            "  return wrk.format(nil, paths[math.random(#paths)])\nend\n"
        )
    return handle.name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=30)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3, help="wrk runs of each, interleaved")
    parser.add_argument("--port", type=int, help="gunicorn's port (default: a free one)")
    parser.add_argument("--projects", type=int, default=100_000, help="synthetic province size")
    parser.add_argument(
        "--path", help="load one path instead of the finance mix (e.g. /api/v1/goals/?page_size=50)"
    )
    parser.add_argument(
        "--profile", action="store_true", help="profile each kind of request in process instead"
    )
    args = parser.parse_args()
    if args.profile:
        return profile_mix(args.projects)
    if shutil.which("wrk") is None:
        sys.exit("需要 wrk：apt-get install wrk")
    setup_django()
    from .api_pagination import bench_user
    from .recompute import scope_units

    scope_units(args.projects)
    _user, token = bench_user()
    headers = {"Authorization": f"Token {token}", "Accept-Language": "zh-hans"}
    mix = [(args.path, 1)] if args.path else finance_mix()
    script = wrk_script(mix)
    label = f"API {args.path}" if args.path else f"API finance mix ({len(mix)} paths)"
    port = args.port or free_port()
    server = start_gunicorn(port, args.workers)
    runs: dict[str, list[LoadResult]] = {"trivial": [], "api": []}
    try:
        base = f"http://127.0.0.1:{port}"
        for path, _weight in mix:  # warm up, and fail loudly if an endpoint errors
            urllib.request.urlopen(
                urllib.request.Request(base + path, headers=headers), timeout=30
            ).read()
        for index, kind in rounds(list(runs), args.repeat):
            if kind == "trivial":
                output = run_wrk(
                    base + "/healthz",
                    duration=args.duration,
                    connections=args.connections,
                    headers={},
                )
                result = parse_wrk("trivial /healthz", output)
            else:
                output = run_wrk(
                    base + "/",
                    duration=args.duration,
                    connections=args.connections,
                    headers=headers,
                    script=script,
                )
                result = parse_wrk(label, output)
            runs[kind].append(result)
            print(f"  round {index + 1}: {result.line()}", flush=True)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        os.unlink(script)
    for results in runs.values():
        print(f"{results[0].label}:")
        print(f"  throughput {describe([r.requests_per_second for r in results], unit='req/s')}")
        print(f"  p50 {describe([r.p50_ms for r in results], unit='ms')}")
        print(f"  p99 {describe([r.p99_ms for r in results], unit='ms')}")
    trivial, api = runs["trivial"], runs["api"]
    rps = median([r.requests_per_second for r in api])
    ratio = rps / median([r.requests_per_second for r in trivial])
    per_round = [
        a.requests_per_second / t.requests_per_second for a, t in zip(api, trivial, strict=True)
    ]
    p99 = median([r.p99_ms for r in api])
    errors = sum(r.errors for r in api)
    met = ratio >= 0.25 and p99 <= 150 and errors == 0
    print(
        f"RESULT api_load: {label}: {rps:.1f} req/s, throughput ratio {ratio:.1%} of trivial"
        f" (per round {min(per_round):.1%}–{max(per_round):.1%}; target ≥ 25%),"
        f" p99 {p99:.1f} ms (median of {len(api)} runs; target ≤ 150), errors {errors} in"
        f" {sum(r.requests for r in api)} requests (target 0) → {'met' if met else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
