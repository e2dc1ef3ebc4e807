"""The REST API (``/api/v1/``): thin views over the same selectors and services as the admin.

Scope: every queryset is filtered by ``projects.permissions.visible_units`` so another unit's
object is a 404; every write and transition calls a service, whose ``PermissionDenied`` is a
403 with its Chinese reason and whose ``ValidationError`` is a 400 with field-level messages
(409 for a stale ``lock_version``). Error bodies are built in ``exceptions.py``.

Language: the API's own messages are Chinese ``gettext_lazy`` strings; ``locale/en`` holds
their English translations, chosen with ``Accept-Language: en`` (LocaleMiddleware). Django's
and DRF's own messages are translated both ways by their catalogs; the services' messages are
English where the service passes them through ``gettext`` (README, "Errors").
"""
