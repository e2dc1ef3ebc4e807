"""Every state change of the performance app: keyword-only, in a transaction, checked, audited.
The admin, the API, the imports and the tasks call the same functions. Import from the
submodules; reads are ``performance.selectors``.

- ``goals``            goals, indicators and tasks; re-reading 指标值
- ``workflow``         submit / approve / return / adjust for every reviewed document
                       (``TRANSITIONS``, ``allowed_actions``)
- ``target_review``    智能审核: the review of a goal's targets on submit
- ``monitoring``       monitoring rounds and reports (entries, 计算)
- ``evaluation``       self-evaluations (scores, 计算)
- ``derived_figures``  the derived fields of reports and evaluations, row by row, shared by the
                       single and the set-based paths (formulas from the engine)
- ``typed_values``     reading what people type: choice codes or labels, numbers, field errors
- ``schemes``          scoring schemes, their assignments and reporting windows
- ``recompute``, ``recompute_jobs``  recomputing a year in batches, as a job fanned out per unit
- ``jobs``             job rows: create, progress, fail, stall, re-queue
- ``notifications``, ``alerts``, ``reminders/``  notices, event warnings, the daily sweep
- ``imports/``, ``exports/``  Excel in (all or nothing) and out (the official layouts)
- ``housekeeping``     expired previews and job files
- ``schedules``        the beat schedules in the database

Celery work is queued by task name through ``performance.dispatch``, never by importing the
tasks (which call these services).
"""
