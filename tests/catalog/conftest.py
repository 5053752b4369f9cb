"""Fixtures for content tests: the project's content, loaded once per session."""

from __future__ import annotations

import pytest

from bot.flows.model import Content
from tests.flows.helpers import content_for_tests


@pytest.fixture(scope="session")
def content(tmp_path_factory: pytest.TempPathFactory) -> Content:
    loaded, problems = content_for_tests(tmp_path_factory.mktemp("content"))
    errors = [p.render() for p in problems if p.severity == "error"]
    assert not errors, "\n".join(errors)
    return loaded
