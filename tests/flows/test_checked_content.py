"""Checks that only read the files run once per version of the content and the code.

The flows' JSON Schema, texts cut by a comment and flows without a dialogue test: a load of
content already checked gives the same findings without running them again, in this process or
(through the cache folder) in the next one. Changed content is checked again; content with
errors is never recorded, so it is refused every time.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from bot import content as content_module
from bot.content import CHECKED_PREFIX, checked_key, forget_checked, load_content
from bot.flows import cachefiles
from bot.flows.model import Content
from bot.flows.problems import Problem
from tests.support.conversation import CONTENT_DIR

EXTRA_FLOW = """\
flows:
  zz_extra:
    title: Extra
    description: A flow that no dialogue test visits
    steps:
      - id: hello
        say: Hallo daar
        next: END
"""


@pytest.fixture(autouse=True)
def nothing_checked_yet() -> Iterator[None]:
    forget_checked()
    yield
    forget_checked()


@pytest.fixture
def warned(tmp_path: Path) -> Path:
    """A copy of the content with a text cut by a comment and a flow no dialogue visits."""
    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target)
    path = target / "flows" / "truancy.yml"
    text = path.read_text(encoding="utf-8")
    assert "    title: Vaak afwezig\n" in text, "update this test"
    path.write_text(
        text.replace("    title: Vaak afwezig\n", "    title: Vaak afwezig  # a comment\n", 1),
        encoding="utf-8",
    )
    (target / "flows" / "zz_extra.yml").write_text(EXTRA_FLOW, encoding="utf-8")
    return target


class Counted:
    """How often the checks that the record skips ran."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.cut = self.dialogue = self.schema = 0
        cut, dialogue = content_module.texts_cut_by_comments, content_module.flows_without_dialogue
        validate = Draft202012Validator.iter_errors

        def counting_cut(content_dir: Path) -> tuple[Problem, ...]:
            self.cut += 1
            return cut(content_dir)

        def counting_dialogue(content: Content, content_dir: Path) -> tuple[Problem, ...]:
            self.dialogue += 1
            return dialogue(content, content_dir)

        def counting_validation(
            validator: Draft202012Validator, instance: object
        ) -> Iterator[object]:
            self.schema += 1
            return validate(validator, instance)

        monkeypatch.setattr(content_module, "texts_cut_by_comments", counting_cut)
        monkeypatch.setattr(content_module, "flows_without_dialogue", counting_dialogue)
        monkeypatch.setattr(Draft202012Validator, "iter_errors", counting_validation)

    def runs(self) -> tuple[int, int, bool]:
        return self.cut, self.dialogue, self.schema > 0


def rendered(problems: list[Problem]) -> list[str]:
    return [p.render() for p in problems]


def test_content_checked_before_gives_the_same_findings_without_checking_again(
    warned: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    counted = Counted(monkeypatch)
    first, first_problems = load_content(warned, tmp_path / "cache")
    assert first is not None
    assert any("YAML reads '# a comment'" in p.message for p in first_problems)
    assert any("no dialogue test visits flow 'zz_extra'" in p.message for p in first_problems)
    assert counted.runs() == (1, 1, True)
    again, again_problems = load_content(warned, tmp_path / "cache")
    assert again is not None and rendered(again_problems) == rendered(first_problems)
    assert counted.runs() == (1, 1, True)
    assert again.flows == first.flows


def test_a_new_process_reads_the_record_from_the_cache_folder(
    warned: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    _, problems = load_content(warned, cache)
    assert len(list(cache.glob(f"{CHECKED_PREFIX}*.json"))) == 1
    forget_checked()  # as if a new process started
    counted = Counted(monkeypatch)
    content, again = load_content(warned, cache)
    assert content is not None and rendered(again) == rendered(problems)
    assert counted.runs() == (0, 0, False)


def test_changed_content_is_checked_again(
    warned: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_content(warned, tmp_path / "cache")
    counted = Counted(monkeypatch)
    (warned / "flows" / "zz_extra.yml").write_text(
        EXTRA_FLOW.replace("Hallo daar", "Hallo daar  # een tweede comment"), encoding="utf-8"
    )
    content, problems = load_content(warned, tmp_path / "cache")
    assert content is not None
    assert counted.runs() == (1, 1, True)
    assert any("een tweede comment" in p.message for p in problems)
    assert len(list((tmp_path / "cache").glob(f"{CHECKED_PREFIX}*.json"))) == 1


def test_content_with_errors_is_never_recorded_and_always_refused(
    warned: Path, tmp_path: Path
) -> None:
    path = warned / "flows" / "zz_extra.yml"
    path.write_text(EXTRA_FLOW.replace("Hallo daar", "Hallo daar #hashtag"), encoding="utf-8")
    cache = tmp_path / "cache"
    first = load_content(warned, cache)
    second = load_content(warned, cache)
    for content, problems in (first, second):
        assert content is None
        assert any(p.severity == "error" and "#hashtag" in p.message for p in problems)
    assert rendered(first[1]) == rendered(second[1])
    assert not list(cache.glob(f"{CHECKED_PREFIX}*.json"))


def test_a_schema_error_is_found_although_the_content_before_it_was_checked(
    warned: Path, tmp_path: Path
) -> None:
    load_content(warned, tmp_path / "cache")
    path = warned / "flows" / "zz_extra.yml"
    path.write_text(EXTRA_FLOW.replace("say: Hallo daar", "sey: Hallo daar"), encoding="utf-8")
    content, problems = load_content(warned, tmp_path / "cache")
    assert content is None
    assert any(p.stage == "schema" and p.file == "content/flows/zz_extra.yml" for p in problems)


def test_a_damaged_or_foreign_record_is_ignored(warned: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _, problems = load_content(warned, cache)
    (path,) = cache.glob(f"{CHECKED_PREFIX}*.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    damages = (
        "{not json",
        json.dumps({**data, "key": "other"}),
        json.dumps({**data, "format": -1}),
        json.dumps({**data, "checked": {"cut_by_comments": [{"file": 3}]}}),
        json.dumps({**data, "checked": {"without_dialogue": None}}),
        json.dumps({**data, "checked": {"without_dialogue": [{"severity": "fatal"}]}}),
    )
    for damaged in damages:
        path.write_text(damaged, encoding="utf-8")
        forget_checked()
        content, again = load_content(warned, cache)
        assert content is not None and rendered(again) == rendered(problems), damaged[:40]


def test_the_key_follows_every_file_and_the_code(
    warned: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = checked_key(warned)
    assert key is not None and checked_key(warned) == key
    (warned / "tests" / "new.yml").write_text("dialogues: []\n", encoding="utf-8")
    changed = checked_key(warned)
    assert changed != key
    monkeypatch.setattr(cachefiles, "code_digest", lambda: b"other code")
    assert checked_key(warned) not in (key, changed)
