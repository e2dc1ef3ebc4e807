"""Every write of the projects app: keyword-only, in a transaction, validated, audited.

- ``units``     the unit tree (``unit_upsert``, ``unit_save``, ``unit_delete``)
- ``projects``  projects, their budgets and execution records
- ``accounts``  users and memberships (the user's groups follow his roles)
- ``locking``   optimistic concurrency: ``check_lock_version``, ``StaleObjectError``
"""
