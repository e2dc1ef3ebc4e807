"""Monitoring rounds, monitoring reports and self-evaluations in the admin.

Every write calls a service: a round is opened with ``monitoring_round_open`` (the add form,
finance bureau only), a report or an evaluation is saved — its entries / scores included — in one
``monitoring_report_update`` / ``evaluation_update`` call, 计算 calls the compute service, and
提交 / 审核通过 / 退回 are the workflow buttons of ``WorkflowAdminMixin``. Lights and grades
show as coloured badges; the self-evaluation list opens with each unit's published summary.
"""

from . import evaluations, monitoring  # noqa: F401  (register the model admins)
