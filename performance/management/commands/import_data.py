"""``python manage.py import_data KIND FILE [--dry-run] [--user USERNAME]``."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from performance.services.imports import KINDS, import_run

MAX_SHOWN = 200


def _kind_options(options: dict) -> dict:
    """The import options the command line set (only those given)."""
    chosen = {
        "complete": options.get("complete") or None,
        "root": options.get("root"),
        "expected_deactivations": options.get("expected_deactivations"),
        "expected_revocations": options.get("expected_revocations"),
        "send_invites": False if options.get("no_invites") else None,
    }
    return {key: value for key, value in chosen.items() if value is not None}


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
        # master data (units, people): complete imports and invitations
        parser.add_argument(
            "--complete",
            action="store_true",
            help="完整导入（单位、人员）：文件列出了根单位下的全部单位/角色，未列出的将停用/撤销",
        )
        parser.add_argument("--root", help="完整导入的根单位编码")
        parser.add_argument(
            "--expected-deactivations",
            type=int,
            help="完整导入确认的停用单位数（先 --dry-run 查看）",
        )
        parser.add_argument(
            "--expected-revocations", type=int, help="完整导入确认的撤销角色数（先 --dry-run 查看）"
        )
        parser.add_argument(
            "--no-invites", action="store_true", help="人员导入不发送设置密码邮件（仅系统身份）"
        )

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
                    options=_kind_options(options),
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
