"""Password rules: Django's validators, with the minimum-length message in Chinese.

Django's own Chinese catalog lacks the plural form of the "too short" message, so the admin
showed it in English; the other validators' messages are translated by Django.
"""

from __future__ import annotations

from django.contrib.auth import password_validation


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    def get_error_message(self) -> str:
        return f"密码太短，至少需要 {self.min_length} 个字符。"

    def get_help_text(self) -> str:
        return f"密码至少需要 {self.min_length} 个字符。"
