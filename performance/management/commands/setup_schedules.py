from django.core.management.base import BaseCommand

from performance.services.schedules import beat_schedules_ensure


class Command(BaseCommand):
    help = "创建 Celery beat 的定时任务（每日提醒扫描、夜间重新计算）；已存在的不改动，可重复执行。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--sweep-every",
            type=int,
            default=None,
            metavar="SECONDS",
            help="把提醒扫描改为每隔 N 秒运行一次（用于冒烟测试和演示）。",
        )

    def handle(self, *args, **options):
        labels = {"created": "已创建", "kept": "已存在，未改动", "interval": "改为按间隔运行"}
        for name, outcome in beat_schedules_ensure(every_seconds=options["sweep_every"]).items():
            self.stdout.write(f"{name}：{labels[outcome]}")
