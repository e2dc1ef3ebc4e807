"""``python manage.py export_table KIND --unit CODE --year YEAR -o FILE [--user USERNAME]``."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from performance.services.exports import EXPORT_KINDS, export_table


class Command(BaseCommand):
    help = "按正式表样导出 .xlsx：" + "，".join(f"{k}（{v}）" for k, v in EXPORT_KINDS.items())

    def add_arguments(self, parser) -> None:
        parser.add_argument("kind", help="报表类型：" + " / ".join(EXPORT_KINDS))
        parser.add_argument("--unit", required=True, help="单位编码（含其下级单位）")
        parser.add_argument("--year", required=True, type=int, help="年度")
        parser.add_argument("-o", "--output", required=True, help="输出的 .xlsx 文件")
        parser.add_argument("--month", type=int, help="监控表：数据截至月份（默认最近一轮）")
        parser.add_argument("--user", help="以该用户的单位范围导出（默认系统身份）")

    def handle(self, *args, **options):
        actor = None
        if options.get("user"):
            actor = get_user_model().objects.filter(username=options["user"]).first()
            if actor is None:
                raise CommandError(f"用户不存在：{options['user']}")
        output = Path(options["output"])
        partial = output.with_name(output.name + ".part")
        try:
            with partial.open("wb") as stream:
                result = export_table(
                    actor=actor,
                    kind=options["kind"],
                    unit=options["unit"],
                    year=options["year"],
                    data_month=options.get("month"),
                    stream=stream,
                )
        except (ValidationError, PermissionDenied) as error:
            partial.unlink(missing_ok=True)
            messages = getattr(error, "messages", None) or [str(error)]
            raise CommandError("；".join(messages)) from None
        partial.replace(output)
        self.stdout.write(
            self.style.SUCCESS(
                f"已导出{result.title}：{output}（{result.rows} 行，工作表：{'、'.join(result.sheets)}）"
            )
        )
