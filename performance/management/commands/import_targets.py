"""``python manage.py import_targets FILE [--dry-run] [--user USERNAME]``: ``import_data targets``."""

from __future__ import annotations

from performance.management.commands.import_data import Command as ImportDataCommand


class Command(ImportDataCommand):
    help = (
        "导入绩效目标模板（.xlsx 或 .csv：年度、单位编码、项目编码……指标值）。先校验全部行，"
        "有任何错误则不写入任何数据；--dry-run 只校验。不指定 --user 时以系统身份导入（不限单位）。"
        "等同于 import_data targets。"
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="要导入的 .xlsx 或 .csv 文件")
        parser.add_argument("--dry-run", action="store_true", help="只校验，不写入")
        parser.add_argument("--user", help="以该用户的身份和单位范围导入")

    def handle(self, *args, **options):
        return super().handle(*args, **{**options, "kind": "targets"})
