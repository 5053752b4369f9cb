"""content/desk.yml: loaded and checked with the rest of the content (file and line), and read
by the desk from the content the app serves now (a reload reaches it)."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from bot.app import App
from bot.content import load_content
from bot.handoff import desk_texts
from bot.handoff.desk_texts import DeskTexts
from bot.settings import PROJECT_ROOT

CONTENT = PROJECT_ROOT / "content"
Client = TestClient[web.Request, web.Application]


def test_the_real_desk_texts_load() -> None:
    texts, problems = desk_texts.load(CONTENT)
    assert texts is not None, problems
    assert texts.quick_replies and all(r.title and r.text for r in texts.quick_replies)
    assert "{name}" in texts.pupil["transferred_person"]
    assert texts.p("transferred_person", name="Ines").startswith("Ines")


@pytest.mark.parametrize(
    ("change", "line_of", "message"),
    [
        (("transferred_person: ", "moved_person: "), "moved_person:",
         "text 'pupil/transferred_person' is missing"),
        (("neemt het gesprek", "{wie} neemt het gesprek"), "transferred_person:",
         "uses '{wie}', which the bot does not fill in"),
        (('  - title: "Hallo"\n', '  - titel: "Hallo"\n'), "- titel:", "titel"),
    ],
)
def test_a_broken_desk_file_is_reported_with_file_and_line(
    tmp_path: Path, change: tuple[str, str], line_of: str, message: str
) -> None:
    copy = tmp_path / "content"
    copy.mkdir()
    shutil.copy(CONTENT / "desk.yml", copy / "desk.yml")
    shutil.copytree(CONTENT / "schema", copy / "schema")
    path = copy / "desk.yml"
    text = path.read_text(encoding="utf-8")
    assert change[0] in text
    broken = text.replace(change[0], change[1], 1)
    path.write_text(broken, encoding="utf-8")
    texts, problems = desk_texts.load(copy)
    assert texts is None
    [problem] = [p for p in problems if message in p.message]
    rows = enumerate(broken.splitlines(), 1)
    line = next(i for i, row in rows if row.strip().startswith(line_of))
    assert (problem.file, problem.line, problem.severity) == ("content/desk.yml", line, "error")


def test_the_content_check_reports_desk_yml(tmp_path: Path) -> None:
    shutil.copytree(CONTENT, tmp_path / "content")
    path = tmp_path / "content" / "desk.yml"
    path.write_text(path.read_text(encoding="utf-8").replace("ui:", "ui: [", 1), "utf-8")
    content, problems = load_content(tmp_path / "content")
    assert content is None
    assert any(p.file == "content/desk.yml" and p.severity == "error" for p in problems)


async def test_the_desk_shows_the_texts_of_the_content_served_now(
    happ: App, client: Client
) -> None:
    before = await (await client.get("/desk/api/texts")).json()
    assert before["urgent"] == happ.handoff.texts.desk.ui["urgent"]
    old = happ.handoff.texts
    desk = dataclasses.replace(old.desk, ui={**old.desk.ui, "urgent": "Heel dringend"})
    happ.use(dataclasses.replace(happ.content, counsellor=dataclasses.replace(old, desk=desk)))
    after = await (await client.get("/desk/api/texts")).json()
    assert after["urgent"] == "Heel dringend"
    assert isinstance(happ.handoff.texts.desk, DeskTexts)
