"""content/desk.yml: the real file loads; a broken one says what to fix."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.desk.texts import DeskTextsError, load_desk_texts
from bot.settings import PROJECT_ROOT

CONTENT = PROJECT_ROOT / "content"


def test_the_real_desk_texts_load() -> None:
    texts = load_desk_texts(CONTENT)
    assert texts.quick_replies and all(r.title and r.text for r in texts.quick_replies)
    assert "{name}" in texts.pupil["transferred_person"]
    assert texts.p("transferred_person", name="Ines").startswith("Ines")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("transferred_person: ", "moved_person: "), "'pupil/transferred_person' is missing"),
        (("neemt het gesprek", "{wie} neemt het gesprek"), "unknown placeholder(s) wie"),
        (('  - title: "Hallo"\n', '  - titel: "Hallo"\n'), "needs a title and a text"),
    ],
)
def test_a_broken_desk_file_says_what_to_fix(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    shutil.copy(CONTENT / "desk.yml", tmp_path / "desk.yml")
    path = tmp_path / "desk.yml"
    text = path.read_text(encoding="utf-8")
    assert change[0] in text
    path.write_text(text.replace(change[0], change[1], 1), encoding="utf-8")
    with pytest.raises(DeskTextsError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_desk_texts(tmp_path)
