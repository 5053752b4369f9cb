"""The compiled lexicon is kept per process and on disk, keyed by safety.yml and the code."""

from __future__ import annotations

import array
import base64
import json
import shutil
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.flows import cachefiles
from bot.flows.problems import Problem
from bot.safety import lexicon as lexicon_module
from bot.safety import lexicon_cache, model_cache
from bot.safety.lexicon import Compiled, load
from bot.safety.screen import Lexicon, screen
from tests.safety.conftest import CONTENT_DIR
from tests.safety.test_lexicon_file import MINIMAL
from tests.safety.test_model import toy

TEXTS = (
    "ik wil dood",
    "ik ben dood van het lachen",
    "mijn vader slaat mij",
    "ik heb 20 pillen genomen",
    "ik wil niet meer naar school",
    "kwilzelfmoordplegen",
)


@pytest.fixture(autouse=True)
def empty_process_caches() -> Iterator[None]:
    lexicon_cache.forget()
    model_cache.forget()
    yield
    lexicon_cache.forget()
    model_cache.forget()


def count_compiling(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the compilations of safety.yml (the cache must skip them)."""
    calls: list[int] = []
    real = lexicon_module._compile

    def counting(path: Path) -> tuple[Compiled | None, list[Problem]]:
        calls.append(1)
        return real(path)

    monkeypatch.setattr(lexicon_module, "_compile", counting)
    return calls


def loaded(content: Path, cache: Path | None) -> Lexicon:
    lexicon, problems = load(content, cache_dir=cache)
    assert lexicon is not None and problems == [], problems
    return lexicon


def the_file(cache: Path) -> Path:
    (path,) = cache.glob(f"{lexicon_cache.PREFIX}*.json")
    return path


def test_the_real_lexicon_read_in_a_new_process_equals_the_compiled_one(tmp_path: Path) -> None:
    compiled = loaded(CONTENT_DIR, tmp_path)
    lexicon_cache.forget()  # as if a new process started
    read = loaded(CONTENT_DIR, tmp_path)
    assert read is not compiled
    # field by field: a regular expression is equal only when its compiled program is
    assert read == compiled
    assert [rule.regex for rule in read.rules] == [rule.regex for rule in compiled.rules]
    for text in TEXTS:
        assert screen(text, read) == screen(text, compiled), text


def test_a_second_load_in_the_same_process_does_not_compile_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = count_compiling(monkeypatch)
    first = loaded(toy(tmp_path), None)
    second = loaded(tmp_path, None)
    assert calls == [1]
    assert second.rules is first.rules


def test_a_new_process_reads_the_lexicon_from_the_cache_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "content").mkdir()
    content, cache = toy(tmp_path / "content"), tmp_path / "cache"
    calls = count_compiling(monkeypatch)
    compiled = loaded(content, cache)
    the_file(cache)
    lexicon_cache.forget()
    assert loaded(content, cache) == compiled
    assert calls == [1]


def test_a_changed_safety_yml_is_a_new_key_and_replaces_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "content").mkdir()
    content, cache = toy(tmp_path / "content"), tmp_path / "cache"
    calls = count_compiling(monkeypatch)
    loaded(content, cache)
    old = the_file(cache).name
    safety = content / "safety.yml"
    safety.write_text(
        safety.read_text(encoding="utf-8").replace('"wil dood"', '"wil dood", "wil sterven"'),
        encoding="utf-8",
    )
    changed = loaded(content, cache)
    assert calls == [1, 1]
    assert the_file(cache).name != old
    assert screen("ik wil sterven", changed).level == "crisis"


def test_other_code_is_a_new_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = toy(tmp_path) / "safety.yml"
    before = lexicon_cache.key_of(path)
    monkeypatch.setattr(cachefiles, "code_digest", lambda: b"other code")
    assert lexicon_cache.key_of(path) != before


def test_a_lexicon_with_problems_is_never_stored(tmp_path: Path) -> None:
    (tmp_path / "content").mkdir()
    content, cache = tmp_path / "content", tmp_path / "cache"
    (content / "safety.yml").write_text(
        MINIMAL.replace('"wil dood"', '"wil (dood"'), encoding="utf-8"
    )
    for _ in range(2):
        lexicon, problems = load(content, cache_dir=cache)
        assert lexicon is None and any("(dood" in p.message for p in problems)
    assert not list(cache.glob(f"{lexicon_cache.PREFIX}*.json"))


def test_without_the_stored_programs_the_patterns_are_compiled_from_their_sources(
    tmp_path: Path,
) -> None:
    compiled = loaded(CONTENT_DIR, tmp_path)
    path = the_file(tmp_path)
    data = json.loads(path.read_text(encoding="utf-8"))
    del data["patterns"]["program"]
    path.write_text(json.dumps(data), encoding="utf-8")
    lexicon_cache.forget()
    assert loaded(CONTENT_DIR, tmp_path) == compiled


def test_a_damaged_or_foreign_cache_file_is_ignored(tmp_path: Path) -> None:
    (tmp_path / "content").mkdir()
    content, cache = toy(tmp_path / "content"), tmp_path / "cache"
    good = loaded(content, cache)
    path = the_file(cache)
    data = json.loads(path.read_text(encoding="utf-8"))
    patterns = data["patterns"]
    damages = [
        "{not json",
        json.dumps({**data, "key": "other"}),
        json.dumps({**data, "format": -1}),
        json.dumps({**data, "compiled": {"lexicon": 3}}),
        json.dumps({**data, "compiled": {**data["compiled"], "model": {"examples": 1}}}),
        json.dumps({**data, "patterns": {**patterns, "program": "not base64!"}}),
        json.dumps({**data, "patterns": {**patterns, "ends": patterns["ends"][:-1]}}),
        json.dumps({"format": data["format"], "key": data["key"], "compiled": data["compiled"],
                    "patterns": {**patterns, "program": None}}),
        json.dumps({**data, "patterns": {"sources": ["("], "flags": [32]}}),
    ]
    for damaged in damages:
        path.write_text(damaged, encoding="utf-8")
        lexicon_cache.forget()
        assert loaded(content, cache) == good, damaged[:80]


def test_a_program_the_regex_engine_refuses_falls_back_to_the_sources(tmp_path: Path) -> None:
    good = loaded(CONTENT_DIR, tmp_path)
    path = the_file(tmp_path)
    data = json.loads(path.read_text(encoding="utf-8"))
    invalid = array.array("I", [0xFFFFFFFF] * data["patterns"]["ends"][-1]).tobytes()
    data["patterns"]["program"] = base64.b64encode(zlib.compress(invalid)).decode("ascii")
    path.write_text(json.dumps(data), encoding="utf-8")
    lexicon_cache.forget()
    assert loaded(CONTENT_DIR, tmp_path) == good


def test_an_unwritable_cache_folder_only_costs_the_compiling(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    lexicon = loaded(toy(tmp_path), blocked / "cache")
    assert screen("ik wil dood", lexicon).level == "crisis"


def test_a_copy_of_the_real_content_shares_the_key(tmp_path: Path) -> None:
    shutil.copy(CONTENT_DIR / "safety.yml", tmp_path / "safety.yml")
    assert lexicon_cache.key_of(tmp_path / "safety.yml") == lexicon_cache.key_of(
        CONTENT_DIR / "safety.yml"
    )
