"""Every non-trivial read of the performance app: querysets and plain data in a fixed number of
queries, used alike by the admin, the API, the services and the tasks. Nothing here writes.

- ``scoping``          what a user may see: ``goals_for``, ``reports_for``, ``evaluations_for``
                       (scope from ``projects.permissions.visible_units``)
- ``summaries``        self-evaluation summaries per unit; performance summaries per unit /
                       department / year; ``execution_rate_lookup``
- ``schemes``          which scoring scheme applies to a unit: ``scheme_for_unit``,
                       ``scheme_lookup`` (by unit and year)
- ``previous_year``    last year's actual value of an indicator (不低于上年 targets)
- ``budget_execution`` adjusted budget and execution per project or unit, as of a date
- ``versions``         the versions of a goal, the open one, the current one of each scope
                       (``current_goals``: what imports update and exports show), the diff
- ``work_due``         a reporting window's stage today and the units still owing work for it
- ``dashboard``        the 数据看板's figures
- ``api_lists``        the API's goal detail and large lists, nested rows read as light rows
- ``light_rows``       plumbing: rows read with ``values_list`` into light objects instead of
                       model instances (the set-based recompute and the API's hot lists)
"""
