"""Files derived from content: the code digest follows the package's modules, writes are safe."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.flows import cachefiles


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A stand-in for the bot package, with the digest computed afresh."""
    root = tmp_path / "bot"
    (root / "flows").mkdir(parents=True)
    (root / "flows" / "engine.py").write_text("STEP = 1\n", encoding="utf-8")
    monkeypatch.setattr(cachefiles, "PACKAGE", root)
    cachefiles.code_digest.cache_clear()
    yield root
    cachefiles.code_digest.cache_clear()


def digest_now() -> bytes:
    cachefiles.code_digest.cache_clear()
    return cachefiles.code_digest()


def test_the_code_digest_changes_with_any_module(package: Path) -> None:
    before = digest_now()
    assert digest_now() == before
    (package / "flows" / "engine.py").write_text("STEP = 2\n", encoding="utf-8")
    changed = digest_now()
    (package / "flows" / "new.py").write_text("", encoding="utf-8")
    assert len({before, changed, digest_now()}) == 3


def test_without_module_sources_no_process_shares_a_digest(package: Path) -> None:
    (package / "flows" / "engine.py").unlink()
    assert digest_now() != digest_now()


def test_a_file_is_read_back_only_under_its_own_key(tmp_path: Path) -> None:
    cachefiles.write(tmp_path, "thing-", "k1", {"value": [1, 2]})
    assert cachefiles.read(tmp_path, "thing-", "k1") == {"value": [1, 2], "key": "k1"}
    moved = cachefiles.path_of(tmp_path, "thing-", "k2")
    cachefiles.path_of(tmp_path, "thing-", "k1").rename(moved)
    assert cachefiles.read(tmp_path, "thing-", "k2") is None


def test_a_new_key_replaces_the_files_of_the_old_one(tmp_path: Path) -> None:
    cachefiles.write(tmp_path, "thing-", "k1", {})
    cachefiles.write(tmp_path, "other-", "k1", {})
    cachefiles.write(tmp_path, "thing-", "k2", {})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other-k1.json", "thing-k2.json"]


def test_an_unwritable_folder_is_only_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder", encoding="utf-8")
    cachefiles.write(blocked / "cache", "thing-", "k1", {})
    assert cachefiles.read(blocked / "cache", "thing-", "k1") is None
    assert "not written" in caplog.text
