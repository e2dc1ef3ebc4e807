"""Defences of the login and of every request: the client's address (believed from trusted
proxies only: ``client_address``), failed-login throttling (``login_throttle``) and the
password rules (``passwords``, named in ``AUTH_PASSWORD_VALIDATORS``)."""
