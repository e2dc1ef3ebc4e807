"""The projects app's admin, and the admin plumbing both apps share.

Django imports this package at start-up (``admin.autodiscover``); importing the modules below
registers their ModelAdmins on ``admin.site``. Every write calls a service.

- ``units``       单位 (the unit tree, with its memberships inline)
- ``projects``    项目, 预算 and 执行记录
- ``accounts``    用户, 成员与角色, 权限组, API 令牌
- ``audit``       操作记录 (read-only)
- ``login``       the login form with failed-login throttling
- shared with the performance admin: ``writes`` (``WritesThroughServices``, the base of every
  ModelAdmin: Django's stock writes refuse, each allowed write is a service call),
  ``scoping`` (``ScopedAdminMixin``: every queryset, choice and filter scoped to the visible
  units; service errors as messages), ``versioning`` (``VersionedForm``: the ``lock_version``
  a page was built on), ``params`` (whole numbers from a URL or a form)

The site class itself (``PerformanceAdminSite``: the own password change is audited) is
``projects/admin_site.py``, outside this package: Django builds the site from it before any
admin module is imported (see there).
"""

from . import accounts, audit, projects, units  # noqa: F401
