from django.core.management.base import BaseCommand

from performance.demo import (
    DEMO_PASSWORD,
    load_demo,
    load_demo_after_score,
    load_demo_library_goal,
    load_demo_monitoring,
    load_demo_spot_check_reviewer,
)
from performance.demo_workday import load_demo_workday
from projects.numbers import SCORE, figure


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

        parser.add_argument(
            "--no-after-score",
            action="store_true",
            help="不演示财政复核（默认演示：财政局抽查 305004 的 2023 年自评，复核职业年金项目并上传"
            "复核依据，单位附异议说明提出异议，财政局裁定维持，复核差异整改后销号；已载入监控轮次时，财政局结束"
            "2023 年监控轮次，红灯项目生成整改任务，职业年金项目整改后由主管部门验收销号）。",
        )

        parser.add_argument(
            "--no-library-goal",
            action="store_true",
            help="不演示从指标库编制目标（默认演示：027 主管部门提出个性指标、财政局确认；027001 填报员"
            "为 2023 年新项目从推荐指标和检索结果中选取指标、填写指标值，目标留作草稿）。",
        )

    def handle(self, *args, **options):
        users = [*load_demo(), load_demo_spot_check_reviewer()]
        if not options["no_workday"]:
            load_demo_workday()
            self.stdout.write("待办演示：dept027、finance、filler027 的首页各有待办事项。")
        if not options["no_monitoring"]:
            round_ = load_demo_monitoring()
            self.stdout.write(f"监控轮次“{round_}”：{round_.reports.count()} 张监控表。")
        if not options["no_after_score"]:
            shown = load_demo_after_score()
            spot_check = shown["spot_check"]
            self.stdout.write(
                f"财政复核“{spot_check.evaluation}”：自评 {figure(spot_check.self_total, SCORE)}"
                f" → 复核 {figure(spot_check.review_total, SCORE)}（{spot_check.get_outcome_display()}），"
                f"佐证材料 {shown['files']} 个。"
            )
            task = shown["rectification"]
            if task is not None:
                self.stdout.write(
                    f"整改任务“{task}”：{'已销号' if task.closed_at else '未销号'}，"
                    f"整改材料 {task.attachments.count()} 个。"
                )
            for task in shown["red_light"] or ():
                self.stdout.write(
                    f"红灯整改“{task.project.name}”：{'已销号' if task.closed_at else '待整改'}，"
                    f"整改材料 {task.attachments.count()} 个。"
                )
        if not options["no_library_goal"]:
            goal = load_demo_library_goal()
            picked = goal.indicators.filter(library_entry__isnull=False).count()
            self.stdout.write(f"指标库演示：“{goal}”（草稿）从指标库选取 {picked} 个指标。")
        self.stdout.write(
            self.style.SUCCESS(
                "演示数据已就绪。服务启动后在其地址的 /admin/ 登录（make run 会打印地址）："
            )
        )
        self.stdout.write(f"  admin（超级管理员）  密码 {DEMO_PASSWORD}")
        for user in users:
            self.stdout.write(f"  {user.username:<12} {user.name}  密码 {DEMO_PASSWORD}")
