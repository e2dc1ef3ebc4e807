"""Request plumbing for both faces: Django's error handlers (``error_pages``: JSON under /api/,
a Chinese page elsewhere) and the admin's input guard (``middleware``), named in settings
(``MIDDLEWARE``, ``CSRF_FAILURE_VIEW``) and in ``config.urls`` (``handler400``/``handler500``)."""
