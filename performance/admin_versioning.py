"""Optimistic concurrency in the admin: every edit form carries the ``lock_version`` it showed.

A change page (and each inline row) posts back, in a hidden ``expected_version`` field, the
``lock_version`` of the object as the page was built; the admin passes it to the service as
``expected_version``, and the service refuses a save prepared on an older version
(``projects.services.StaleObjectError``, shown as a Chinese admin message). Because the admin's
``changeform_view`` runs in one transaction, a refused inline row also undoes the main form's
save: a stale page changes nothing, and whatever the other user saved stays. The form itself
lives in ``projects.admin_versioning`` (the project admin uses it too); a form of an existing
object posted without ``expected_version`` is refused there.
"""

from __future__ import annotations

from projects.admin_scoping import ServiceErrorsAsMessagesMixin  # noqa: F401
from projects.admin_versioning import (  # noqa: F401  (the performance admins import them here)
    EXPECTED_VERSION,
    MISSING_VERSION,
    VersionedForm,
    VersionField,
    without_version,
)
