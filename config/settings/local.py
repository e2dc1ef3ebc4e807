"""Local development: DEBUG on unless told otherwise."""

import os

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("DEBUG", True)
if os.environ.get("ALLOWED_HOSTS") is None:
    ALLOWED_HOSTS = ["*"]
