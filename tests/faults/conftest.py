"""Fixtures: the hardened test content on every test database."""

from tests.privacy.fixtures import hardened_content_dir, settings_env

__all__ = ["hardened_content_dir", "settings_env"]
