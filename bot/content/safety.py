"""Placeholder: the safety engineer replaces this with the lexicon loader."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.content.problems import Problem


def load(content_dir: Path) -> tuple[Any, list[Problem]]:
    """Load the safety lexicon (not yet written)."""
    return None, []
