"""Import 10,000 units and 50,000 people (one role each) from master-data files.

    python -m benchmarks.import_master_data [--units 10000] [--people 50000] [--repeat 3]
        [--loop-share 0.1]

A new finance bureau ``BMD0`` with 100 主管部门, the rest 预算单位 (a fifth of them under
another 预算单位), and one 填报人 membership per person. Measured in the same run, each
variant starting from the same database (everything of the previous run deleted, not timed):

- ``import``: the project's path, ``import_run`` of ``units`` then ``people`` as the system
  (``send_invites=false``: mail is not part of the measure) — read, validate, plan in memory,
  write in bulk, one audit row per unit, user and membership;
- ``again``: the same two files once more (after a first import, not timed): nothing written;
- ``loop``: the per-row services (``unit_upsert`` per unit, ``user_create`` with the unit and
  role per person, each audited) on ``--loop-share`` of the rows, first round only, its time
  scaled to the full size and labelled as extrapolated.

Check: after every ``import`` and ``loop`` run the stored tree (code, name, kind, parent,
path), users (username, name, e-mail, is_staff, unusable password), memberships and group
rows equal the files' (for the loop: its share); ``again`` writes no row and no audit row.
Targets (issue 18): ≥ 10× the loop, re-send ≤ 0.5× the first send. The ratio line is last.
"""

from __future__ import annotations

import argparse
import csv
import io
import time

from . import setup_django
from .measure import clear_caches, describe, median, rounds

ROOT = "BMD0"
DEPARTMENTS = 100


def build_units(count: int) -> list[tuple[str, str, str, str]]:
    """(code, name, kind label, parent code) rows, parents first."""
    rows = [(ROOT, "基准测试财政局", "财政局", "")]
    departments = [f"BMDD{i:03d}" for i in range(DEPARTMENTS)]
    rows += [(code, f"基准测试主管部门{code}", "主管部门", ROOT) for code in departments]
    units = []
    for index in range(count - len(rows)):
        code = f"BMDU{index:05d}"
        # every fifth under the previous 预算单位, the others under a 主管部门
        parent = units[-1] if index % 5 == 4 else departments[index % DEPARTMENTS]
        units.append(code)
        rows.append((code, f"基准测试预算单位{code}", "预算单位", parent))
    return rows


def build_people(count: int, units: list[tuple]) -> list[tuple[str, str, str, str, str]]:
    budget_units = [code for code, _n, kind, _p in units if kind == "预算单位"]
    return [
        (
            f"bmd{index:05d}",
            f"基准用户{index:05d}",
            f"bmd{index:05d}@example.invalid",
            budget_units[index % len(budget_units)],
            "填报人",
        )
        for index in range(count)
    ]


def to_csv(header: list[str], rows: list[tuple]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def reset(since) -> None:
    """Delete every bench unit, user, membership and audit row (not timed)."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM projects_membership WHERE unit_id IN "
            "(SELECT id FROM projects_unit WHERE code LIKE 'BMD%%')"
        )
        cursor.execute(
            "DELETE FROM auth_user_groups WHERE user_id IN "
            "(SELECT id FROM auth_user WHERE username LIKE 'bmd%%')"
        )
        cursor.execute("DELETE FROM auth_user WHERE username LIKE 'bmd%%'")
        cursor.execute("DELETE FROM projects_auditentry WHERE created_at >= %s", [since])
        cursor.execute("DELETE FROM projects_unit WHERE code LIKE 'BMD%%'")


def stored() -> tuple:
    from django.contrib.auth import get_user_model
    from django.db.models import Count

    from projects.models import Membership, Unit

    tree = sorted(
        Unit.objects.filter(code__startswith="BMD").values_list(
            "code", "name", "kind", "parent__code", "path", "is_active"
        )
    )
    users = get_user_model().objects.filter(username__startswith="bmd")
    people = sorted(users.values_list("username", "first_name", "email", "is_staff", "password"))
    people = [(*row[:4], row[4].startswith("!")) for row in people]
    roles = sorted(
        Membership.objects.filter(unit__code__startswith="BMD").values_list(
            "user__username", "unit__code", "role"
        )
    )
    groups = sorted(users.annotate(n=Count("groups")).values_list("username", "n"))
    return tree, people, roles, groups


def expected(units: list[tuple], people: list[tuple]) -> tuple:
    kinds = {"财政局": "finance", "主管部门": "department", "预算单位": "unit"}
    parent_of = {code: parent for code, _n, _k, parent in units}
    paths: dict[str, str] = {}
    for code, _n, _k, parent in units:
        paths[code] = (paths[parent] if parent else "/") + f"{code}/"
    tree = sorted(
        (code, name, kinds[kind], parent_of[code] or None, paths[code], True)
        for code, name, kind, _p in units
    )
    users = sorted((u, n, e, True, True) for u, n, e, _unit, _r in people)
    roles = sorted((u, unit, "filler") for u, _n, _e, unit, _r in people)
    groups = sorted((u, 1) for u, *_ in people)
    return tree, users, roles, groups


def project_path(units_file: bytes, people_file: bytes) -> tuple[float, dict]:
    from performance.services.imports import import_run

    started = time.perf_counter()
    first = import_run(kind="units", actor=None, file=units_file, filename="bench_units.csv")
    second = import_run(
        kind="people",
        actor=None,
        file=people_file,
        filename="bench_people.csv",
        options={"send_invites": False},
    )
    elapsed = time.perf_counter() - started
    for result in (first, second):
        if not result.ok:
            raise SystemExit(result.summary() + "\n" + "\n".join(map(str, result.errors[:10])))
    return elapsed, {**first.counts, **second.counts, "changed": first.changed or second.changed}


def loop_path(units: list[tuple], people: list[tuple]) -> float:
    from django.db import transaction

    from projects.models import Unit
    from projects.services import accounts
    from projects.services.units import unit_upsert

    kinds = {"财政局": "finance", "主管部门": "department", "预算单位": "unit"}
    started = time.perf_counter()
    with transaction.atomic():
        made: dict[str, Unit] = {}
        for code, name, kind, parent in units:
            made[code] = unit_upsert(
                code=code, name=name, kind=kinds[kind], parent=made.get(parent) if parent else None
            )
        for username, name, email, unit, _role in people:
            accounts.user_create(
                username=username,
                password=None,
                first_name=name,
                email=email,
                unit=made[unit],
                role="filler",
            )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=10_000)
    parser.add_argument("--people", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3, help="rounds of import and again")
    parser.add_argument("--loop-share", type=float, default=0.1, help="share of rows the loop does")
    args = parser.parse_args()
    setup_django()
    from django.db import connection
    from django.utils import timezone

    units = build_units(args.units)
    people = build_people(args.people, units)
    units_file = to_csv(["单位编码", "单位名称", "单位类型", "上级单位编码"], units)
    people_file = to_csv(["用户名", "姓名", "电子邮箱", "单位编码", "角色"], people)
    loop_units = units[: max(DEPARTMENTS + 2, int(len(units) * args.loop_share))]
    kept = {code for code, *_ in loop_units}
    loop_people = [p for p in people if p[3] in kept][: int(len(people) * args.loop_share)]
    want = expected(units, people)
    want_loop = expected(loop_units, loop_people)
    print(
        f"import {len(units)} units and {len(people)} people on {connection.vendor}"
        f" ({(len(units_file) + len(people_file)) / 1e6:.1f} MB csv); {args.repeat} rounds,"
        f" variants interleaved, caches cleared before each; the loop on {len(loop_units)} units"
        f" and {len(loop_people)} people, first round only",
        flush=True,
    )
    samples: dict[str, list[float]] = {"import": [], "again": [], "loop": []}
    wrong = 0
    since = timezone.now()
    reset(since)
    for index, name in rounds(["import", "again", "loop"], args.repeat):
        if name == "loop" and index > 0:
            continue
        since = timezone.now()
        if name == "again":
            project_path(units_file, people_file)  # the first send, not timed
        clear_caches()
        from projects.models import AuditEntry

        audits = AuditEntry.objects.count()
        if name == "loop":
            elapsed = loop_path(loop_units, loop_people)
            good = stored() == want_loop
        else:
            elapsed, counts = project_path(units_file, people_file)
            if name == "again":
                good = not counts["changed"] and AuditEntry.objects.count() == audits
            else:
                good = stored() == want
        wrong += not good
        samples[name].append(elapsed)
        print(
            f"  round {index + 1}: {name:<7}{elapsed:9.2f} s  stored as expected: {good}",
            flush=True,
        )
        reset(since)
    scale = len(people) / max(1, len(loop_people))
    loop_full = median(samples["loop"]) * scale
    first, again = median(samples["import"]), median(samples["again"])
    print("timings (interleaved rounds, each run cold):")
    for name, values in samples.items():
        print(f"  {name:<8}{describe(values)}")
    met = loop_full / first >= 10 and again / first <= 0.5 and wrong == 0
    print(
        f"RESULT import_master_data: {len(units)} units + {len(people)} people in {first:.2f} s"
        f" (median of {len(samples['import'])}); per-row services loop {loop_full:.0f} s"
        f" extrapolated ×{scale:.0f} from its {len(loop_people)}-person share ="
        f" {loop_full / first:.1f}× slower (target ≥ 10×); re-send {again:.2f} s ="
        f" {again / first:.2f}× the first send (target ≤ 0.5×); runs not stored as expected:"
        f" {wrong} (target 0) → {'met' if met else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
