import datetime as dt

from django.core.management.base import BaseCommand

from performance.services.reminders import reminders_sweep


class Command(BaseCommand):
    help = "立即运行一次提醒扫描（与每日定时任务相同；同一提醒每人只收到一次）。"

    def add_arguments(self, parser):
        parser.add_argument("--today", type=dt.date.fromisoformat, default=None, help="YYYY-MM-DD")

    def handle(self, *args, **options):
        created = reminders_sweep(today=options["today"])
        self.stdout.write(self.style.SUCCESS(f"提醒扫描完成：新增通知 {created} 条。"))
