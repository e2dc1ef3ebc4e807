from django.core.management.base import BaseCommand

from performance.demo import (
    DEMO_PASSWORD,
    load_demo,
    load_demo_monitoring,
    load_demo_spot_check_reviewer,
)
from performance.demo_workday import load_demo_workday


class Command(BaseCommand):
    help = "载入演示数据（027001 的 10 个项目与整体目标、305004 的 5 个项目、各角色演示用户）；可重复执行。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-monitoring",
            action="store_true",
            help="不开启演示用的 2023 年 1-12 月监控轮次（默认开启，305004 的 5 个项目生成监控表）。",
        )

        parser.add_argument(
            "--no-workday",
            action="store_true",
            help="不生成演示用的待办（默认生成：027001 的 2022 年目标调整版本分别处于待主管部门审核、"
            "待财政审核、被退回和草稿，日期相对今天）。",
        )

    def handle(self, *args, **options):
        users = [*load_demo(), load_demo_spot_check_reviewer()]
        if not options["no_workday"]:
            load_demo_workday()
            self.stdout.write("待办演示：dept027、finance、filler027 的首页各有待办事项。")
        if not options["no_monitoring"]:
            round_ = load_demo_monitoring()
            self.stdout.write(f"监控轮次“{round_}”：{round_.reports.count()} 张监控表。")
        self.stdout.write(
            self.style.SUCCESS(
                "演示数据已就绪。服务启动后在其地址的 /admin/ 登录（make run 会打印地址）："
            )
        )
        self.stdout.write(f"  admin（超级管理员）  密码 {DEMO_PASSWORD}")
        for user in users:
            self.stdout.write(f"  {user.username:<12} {user.name}  密码 {DEMO_PASSWORD}")
