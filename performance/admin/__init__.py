"""The performance app's admin: every ModelAdmin, admin view, admin form and admin page.

Django imports this package at start-up (``admin.autodiscover``); importing the modules below
registers their ModelAdmins on ``admin.site``. Every write calls a service.

- ``goals``         绩效目标, their 指标 (inline and own list) and 任务; Excel in/out via ``excel``,
                    the review buttons via ``workflow``
- ``schemes``       评分方案, 方案适用单位 and 填报期 (reporting windows): read by all, changed
                    only by their managers through ``services.schemes``
- ``monitoring``    监控轮次 and 监控表 (entries inline, 计算, lights)
- ``evaluations``   绩效自评 (scores inline, 计算, grades, each unit's published summary)
- ``evidence``      佐证材料: the panel on report and evaluation pages, each row's files,
                    the list, downloads (``EvidenceColumnMixin`` gives the rows their 佐证 column)
- ``notifications`` 通知 (read/unread per user)
- ``jobs``          后台任务 (progress, 重新计算, 重新排队)
- ``schedules``     定时任务 (django-celery-beat's screens; superusers; writes through
                    ``services.schedules``)
- ``common``        what the monitoring and evaluation admins share: service saving, badges,
                    the one ``render_findings``
- ``workflow``      the 提交/审核/退回/调整 buttons and pages (``WorkflowAdminMixin``)
- ``excel``         the goal list's import/export buttons and pages (``TargetImportExportMixin``)
- ``imports``       数据导入: one page for every import kind (/admin/imports/, mounted by
                    ``config.urls``) and 导入记录 (``ImportRunAdmin``)
- ``forms``         admin forms outside a ModelAdmin (``TableForm``: which table, unit, year)
- ``publication``   绩效公开 (/admin/publication/): a unit's published workbook, a department's
                    package as a background job (mounted by ``dashboard.urls``)
- ``dashboard/``    数据看板 (``views``, ``charts``) and 打印报表 (``printing``), mounted by
                    ``dashboard.urls`` under /admin/; their reads are ``performance.selectors``

Scoping to the user's units (``ScopedAdminMixin``) and the ``lock_version`` form field
(``VersionedForm``) are shared with the projects app: ``projects.admin.scoping`` and
``projects.admin.versioning``.
"""

from . import (  # noqa: F401
    evaluations,
    evidence,
    goals,
    imports,
    jobs,
    library,
    monitoring,
    notifications,
    rectifications,
    schedules,
    schemes,
    spot_checks,
)
