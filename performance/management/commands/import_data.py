"""``python manage.py import_data KIND FILE [--dry-run] [--user USERNAME]``."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from performance.services.imports import KINDS, import_run

MAX_SHOWN = 200


class Command(BaseCommand):
    help = (
        "按导入类型导入文件（.xlsx 或 .csv），类型："
        + "、".join(f"{name}（{kind.title}）" for name, kind in KINDS.items())
        + "。先校验全部行，有任何错误则不写入任何数据；--dry-run 只校验。"
        "不指定 --user 时以系统身份导入（不限单位）。"
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("kind", choices=sorted(KINDS), help="导入类型")
        parser.add_argument("file", help="要导入的 .xlsx 或 .csv 文件")
        parser.add_argument("--dry-run", action="store_true", help="只校验，不写入")
        parser.add_argument("--user", help="以该用户的身份和单位范围导入")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"文件不存在：{path}")
        actor = None
        if options.get("user"):
            actor = get_user_model().objects.filter(username=options["user"]).first()
            if actor is None:
                raise CommandError(f"用户不存在：{options['user']}")
        try:
            with path.open("rb") as handle:
                result = import_run(
                    kind=options["kind"],
                    actor=actor,
                    file=handle,
                    filename=path.name,
                    dry_run=options["dry_run"],
                )
        except PermissionDenied as denied:
            raise CommandError(str(denied)) from None
        for notice in result.notices:
            self.stdout.write(notice)
        for issue in result.warnings[:MAX_SHOWN]:
            self.stdout.write(self.style.WARNING(f"提示 {issue}"))
        if not result.ok:
            lines = [str(issue) for issue in result.errors[:MAX_SHOWN]]
            if len(result.errors) > MAX_SHOWN:
                lines.append(f"……另有 {len(result.errors) - MAX_SHOWN} 处错误未列出")
            raise CommandError("\n".join([result.summary(), *lines]))
        self.stdout.write(self.style.SUCCESS(result.summary()))
