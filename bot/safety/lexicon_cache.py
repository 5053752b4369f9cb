"""The compiled safety lexicon, kept in the cache folder so that a start does not compile it again.

Compiling content/safety.yml (about 2,000 patterns turned into regular expressions, word
families, the normaliser's vocabulary) took most of the time of loading the content. The result
is a pure function of safety.yml and the code, so it is stored under a key that hashes both
(bot/flows/cachefiles.py): any change to either is a new key. Only a lexicon without problems is
stored; the learned model is not part of it (bot/safety/model_cache.py keeps that).

The stored form is JSON, written and read by the field types of the lexicon's dataclasses. A
regular expression is stored as its source and, to skip compiling it again, as the program
CPython's regex engine runs (`re` compiles a pattern to a list of integers; `_sre.compile`
makes a pattern from that list, as `re` itself does). That program is only stored when a
pattern rebuilt from it equals the compiled one (`re.Pattern` equality compares the program),
the interpreter is part of the key, and the engine validates a program before it accepts it;
when any of this fails the patterns are compiled from their sources.
"""

from __future__ import annotations

import array
import base64
import hashlib
import importlib
import re
import zlib
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from bot.flows import cachefiles, plainjson

FORMAT = 1  # raise when the stored layout changes
PREFIX = "safety-lexicon-"
KEEP = 2  # lexicons kept per process: the one in use and the one before a reload
_CODE_TYPE = "I"  # the engine's code words are 32-bit unsigned integers
_kept: dict[type[Any], cachefiles.Kept[Any]] = {}
T = TypeVar("T")


def key_of(path: Path) -> str | None:
    """The key of a safety.yml (its bytes, the code, the YAML reader); None when unreadable."""
    try:
        source = path.read_bytes()
    except OSError:
        return None
    digest = hashlib.sha256(f"format {FORMAT}\n".encode())
    digest.update(cachefiles.code_digest())
    digest.update(cachefiles.yaml_reader().encode())
    digest.update(hashlib.sha256(source).digest())
    return digest.hexdigest()


def lookup(key: str | None, cache_dir: Path | None, kind: type[T]) -> T | None:
    """The compiled lexicon (a `kind`) stored under `key`, in this process or in `cache_dir`."""
    found = _kept_for(kind).lookup(key, cache_dir)
    return found if isinstance(found, kind) else None


def store(key: str | None, compiled: object, cache_dir: Path | None) -> None:
    """Keep a compiled lexicon without problems (a dataclass) for the next load."""
    _kept_for(type(compiled)).store(key, compiled, cache_dir)


def forget() -> None:
    """Empty the per-process cache (tests)."""
    for kept in _kept.values():
        kept.forget()


def _kept_for(kind: type[Any]) -> cachefiles.Kept[Any]:
    """The store of lexicons of one dataclass (its fields say how to read the stored JSON)."""
    if kind not in _kept:
        _kept[kind] = cachefiles.Kept(PREFIX, KEEP, _encoded, partial(_decoded, kind=kind))
    return _kept[kind]


def _encoded(compiled: object) -> dict[str, Any]:
    table = _Table()
    plain = plainjson.to_plain(compiled, table.number)
    return {"format": FORMAT, "compiled": plain, "patterns": table.stored()}


def _decoded(data: Mapping[str, Any], kind: type[T]) -> T | None:
    if data.get("format") != FORMAT:
        return None
    try:
        patterns = _patterns(data["patterns"])
        found = plainjson.from_plain(kind, data["compiled"], patterns)
    except (KeyError, TypeError, ValueError, IndexError, re.error, zlib.error):
        return None
    return found if isinstance(found, kind) else None


class _Table:
    """The regular expressions of a lexicon being stored, each once, in order."""

    def __init__(self) -> None:
        self.patterns: list[re.Pattern[str]] = []
        self.numbers: dict[tuple[str, int], int] = {}

    def number(self, pattern: re.Pattern[str]) -> int:
        key = (pattern.pattern, pattern.flags)
        if key not in self.numbers:
            self.numbers[key] = len(self.patterns)
            self.patterns.append(pattern)
        return self.numbers[key]

    def stored(self) -> dict[str, Any]:
        found = {
            "sources": [p.pattern for p in self.patterns],
            "flags": [p.flags for p in self.patterns],
        }
        programs = _programs(self.patterns)
        if programs is not None:
            words = array.array(_CODE_TYPE)
            ends = []
            for program in programs:
                words.extend(program)
                ends.append(len(words))
            found["program"] = base64.b64encode(zlib.compress(words.tobytes())).decode("ascii")
            found["ends"] = ends
        return found


def _engine() -> tuple[Any, Any, Any]:
    """CPython's regex parser, code generator and engine (not public; AttributeError if gone)."""
    parser = importlib.import_module("re._parser")
    compiler = importlib.import_module("re._compiler")
    return parser.parse, compiler._code, importlib.import_module("_sre").compile


def _programs(patterns: list[re.Pattern[str]]) -> list[list[int]] | None:
    """The engine's program of each pattern, if each rebuilds to an equal pattern; else None."""
    try:
        parse, code, build = _engine()
        programs = []
        for pattern in patterns:
            parsed = parse(pattern.pattern, pattern.flags)
            program = code(parsed, pattern.flags)
            if parsed.state.groups != 1:
                return None  # a capturing group: compile from the sources
            if build(pattern.pattern, pattern.flags, program, 0, {}, (None,)) != pattern:
                return None
            programs.append(program)
        return programs
    except (AttributeError, TypeError, ValueError, RuntimeError, re.error, OverflowError):
        return None


def _patterns(stored: Mapping[str, Any]) -> list[re.Pattern[str]]:
    """The stored patterns: rebuilt from their programs, or compiled from their sources."""
    sources, flags = list(stored["sources"]), list(stored["flags"])
    if len(sources) != len(flags):
        raise ValueError("sources and flags differ in length")
    rebuilt = _rebuilt(sources, flags, stored) if "program" in stored else None
    if rebuilt is not None:
        return rebuilt
    return [re.compile(source, flag) for source, flag in zip(sources, flags, strict=True)]


def _rebuilt(
    sources: list[str], flags: list[int], stored: Mapping[str, Any]
) -> list[re.Pattern[str]] | None:
    """The patterns made from their stored programs; None when the engine refuses one."""
    try:
        _, _, build = _engine()
        words = array.array(_CODE_TYPE)
        words.frombytes(zlib.decompress(base64.b64decode(stored["program"])))
        program = words.tolist()
        ends = [int(end) for end in stored["ends"]]
        if len(ends) != len(sources) or (ends and ends[-1] != len(program)):
            return None
        starts = [0, *ends[:-1]]
        return [
            build(source, flag, program[start:end], 0, {}, (None,))
            for source, flag, start, end in zip(sources, flags, starts, ends, strict=True)
        ]
    except (AttributeError, TypeError, ValueError, RuntimeError, OverflowError, zlib.error):
        return None


__all__ = ["forget", "key_of", "lookup", "store"]
