"""``python manage.py export_figures --year YEAR [--format csv --section goals] [--unit CODE]
[--department CODE] [--current] [--resume SECTION:CODE] [--user USERNAME] -o FILE``.

The same rows as ``GET /api/v1/exports/figures/`` (``performance.selectors.figures_feed``),
written to a file (``-`` for standard output) for a finance bureau's nightly job.
"""

from __future__ import annotations

import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from performance.selectors.figures_feed import (
    FEED_SECTIONS,
    FORMATS,
    NDJSON,
    FeedInputError,
    figures_feed,
)
from projects.models import unit_code_validator


class Command(BaseCommand):
    help = "导出一个年度的绩效数据（与 /api/v1/exports/figures/ 相同的行）：NDJSON 或 CSV。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--year", required=True, type=int, help="年度")
        parser.add_argument(
            "--format", choices=FORMATS, default=NDJSON, help="ndjson（默认）或 csv"
        )
        parser.add_argument(
            "--section",
            choices=list(FEED_SECTIONS),
            help="分段：ndjson 不填为全部分段，csv 不填为 goals",
        )
        parser.add_argument("--unit", help="只导出该单位（单位编码）")
        parser.add_argument("--department", help="只导出该单位及其下所有单位（单位编码）")
        parser.add_argument(
            "--current", action="store_true", help="绩效目标不含已被调整替代的历史版本"
        )
        parser.add_argument("--resume", help="续传标记“分段:单位编码”：从该单位之后继续")
        parser.add_argument("--user", help="以该用户的可见单位范围导出（默认系统身份：全部单位）")
        parser.add_argument("-o", "--output", required=True, help="输出文件；- 为标准输出")

    def handle(self, *args, **options):
        actor = None
        if options.get("user"):
            actor = get_user_model().objects.filter(username=options["user"]).first()
            if actor is None or not actor.is_active:
                raise CommandError(f"用户不存在或已停用：{options['user']}")
        for name in ("unit", "department"):
            if options.get(name):
                try:
                    unit_code_validator(options[name])
                except Exception:
                    raise CommandError(
                        f"--{name}：单位编码只能包含数字和字母，最长 20 位。"
                    ) from None
        try:
            feed = figures_feed(
                user=actor,
                year=options["year"],
                fmt=options["format"],
                section=options.get("section"),
                unit=options.get("unit"),
                department=options.get("department"),
                current=options["current"],
                resume=options.get("resume"),
            )
        except FeedInputError as error:
            raise CommandError(f"--{error.field}：{error}") from None
        if options["output"] == "-":
            size = self._write(feed, sys.stdout.buffer)
            sys.stdout.buffer.flush()
            return
        output = Path(options["output"])
        partial = output.with_name(output.name + ".part")
        try:
            with partial.open("wb") as stream:
                size = self._write(feed, stream)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        partial.replace(output)
        self.stdout.write(
            self.style.SUCCESS(f"已导出：{output}（{len(feed.units)} 个单位，{size} 字节）")
        )

    @staticmethod
    def _write(feed, stream) -> int:
        size = 0
        for chunk in feed.chunks():
            stream.write(chunk)
            size += len(chunk)
        return size
