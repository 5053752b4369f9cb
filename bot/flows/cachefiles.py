"""Files derived from content, kept in a cache folder between processes: keys and safe writes.

A derived file is stored under a key that hashes everything it is derived from: its source files
and the code that derives it (`code_digest`, every module of the `bot` package, so any change to
the code is a new key). The file records its key; one whose key or format does not match is
ignored. Files are JSON: no Python code is ever loaded from the cache. Writing is atomic (a
temporary file renamed) and best effort: a read-only or full disk only costs the work again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
import tempfile
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any, Generic, TypeVar

import yaml

log = logging.getLogger(__name__)
T = TypeVar("T")

PACKAGE = Path(__file__).resolve().parents[1]


@cache
def code_digest() -> bytes:
    """A hash of the interpreter and of every module of the `bot` package, once per process.

    Without the modules' sources (an install of compiled files only) the code cannot be told
    apart, so the digest is new in every process: nothing derived is taken from another one.
    """
    sources = sorted(PACKAGE.rglob("*.py"))
    if not sources:
        return os.urandom(32)
    digest = hashlib.sha256(f"{sys.version}\n{sys.implementation.cache_tag}\n".encode())
    for path in sources:
        digest.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.digest()


def path_of(cache_dir: Path, prefix: str, key: str) -> Path:
    """Where the data of `key` (with `prefix`) is stored."""
    return cache_dir / f"{prefix}{key}.json"


def read(cache_dir: Path, prefix: str, key: str) -> dict[str, Any] | None:
    """The data stored under `key` (with `prefix`) in `cache_dir`, or None."""
    path = path_of(cache_dir, prefix, key)
    try:
        data = json.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        log.warning("cache file %s ignored: %s", path.name, type(error).__name__)
        return None
    if not isinstance(data, dict) or data.get("key") != key:
        return None
    return data


def write(cache_dir: Path, prefix: str, key: str, data: dict[str, Any]) -> None:
    """Store `data` under `key`, and remove the files of other keys with the same prefix."""
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=cache_dir, prefix=f".{prefix}")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump({**data, "key": key}, out)
            os.replace(temporary, path_of(cache_dir, prefix, key))
        finally:
            Path(temporary).unlink(missing_ok=True)
        for old in cache_dir.glob(f"{prefix}*.json"):
            if old.name != path_of(cache_dir, prefix, key).name:
                old.unlink(missing_ok=True)
    except OSError as error:
        log.warning("cache file %s not written: %s", prefix, type(error).__name__)


@cache
def yaml_reader() -> str:
    """The YAML reader in use (its version, C or pure Python), for keys of what it read."""
    loader = "C" if hasattr(yaml, "CSafeLoader") else "py"
    return f"pyyaml {yaml.__version__} {loader}\n"


class Kept(Generic[T]):
    """Values derived from content, by key: the last `keep` in this process, and each as a JSON
    file in the cache folder given (`encode` makes its data, `decode` reads it back or gives
    None for data it does not accept)."""

    def __init__(self, prefix: str, keep: int, encode: Callable[[T], dict[str, Any]],
                 decode: Callable[[Mapping[str, Any]], T | None]) -> None:
        self.prefix = prefix
        self.keep = keep
        self._encode = encode
        self._decode = decode
        self._memory: dict[str, T] = {}

    def lookup(self, key: str | None, cache_dir: Path | None) -> T | None:
        """The value stored under `key`: in this process, else in `cache_dir`; else None."""
        if key is None:
            return None
        found = self._memory.get(key)
        if found is None and cache_dir is not None:
            data = read(cache_dir, self.prefix, key)
            found = None if data is None else self._decode(data)
            if found is not None:
                self._remember(key, found)
        return found

    def store(self, key: str | None, value: T, cache_dir: Path | None) -> None:
        """Keep `value` in this process and, when given, in `cache_dir`."""
        if key is None:
            return
        self._remember(key, value)
        if cache_dir is not None:
            write(cache_dir, self.prefix, key, self._encode(value))

    def forget(self) -> None:
        """Empty this process's memory (tests)."""
        self._memory.clear()

    def _remember(self, key: str, value: T) -> None:
        if len(self._memory) >= self.keep:
            self._memory.pop(next(iter(self._memory)))
        self._memory[key] = value


__all__ = ["Kept", "code_digest", "path_of", "read", "write", "yaml_reader"]
