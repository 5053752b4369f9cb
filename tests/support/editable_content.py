"""A copy of content/ that a test may change while a bot runs on it, as an editor would."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.support.conversation import CONTENT_DIR


def copy_content(parent: Path, source: Path = CONTENT_DIR) -> Path:
    """Copy `source` (default the project's content) to `parent/content`; docs/ comes along
    because facts about Wegwijs itself cite it as their source."""
    target = parent / "content"
    shutil.copytree(source, target)
    docs = CONTENT_DIR.parent / "docs"
    if docs.is_dir():
        shutil.copytree(docs, parent / "docs")
    return target


def edit(path: Path, old: str, new: str) -> None:
    """Replace the first `old` in the file; fails when the content no longer has it."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{path.name} no longer contains {old!r}: update this test"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
