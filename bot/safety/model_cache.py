"""The learned safety model, trained once: kept per process and in a cache folder on disk.

Training (normalising ~10,000 examples and counting their features) took most of the time of
loading the content. The same examples, normaliser and model code always give the same model
(training is counting), so a model is stored under a key that hashes all three (the example
files' bytes, so a hit needs no parsing): a change to any of them is a new key, and an old file
is never used for other examples. Only a model trained from files without errors is stored.
The file is JSON (no code is ever loaded from disk) and records its key; a file that cannot be
read, or whose key or format does not match, is ignored and the model is trained again. Writing
is best effort: a read-only or full disk only costs the training time (bot/flows/cachefiles.py).
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from bot.flows import cachefiles
from bot.safety import model as model_module
from bot.safety import text as text_module
from bot.safety.model import SafetyModel

log = logging.getLogger(__name__)

FORMAT = 1  # raise when the file layout changes
PREFIX = "safety-model-"
KEEP = 4  # models kept per process (a reload with changed examples adds one)
_CODE = tuple(Path(m.__file__ or "").read_bytes() for m in (model_module, text_module))


def key_of(files: Iterable[Path], normaliser: object) -> str | None:
    """The cache key: a hash of the example files, the normaliser and the model's code.

    None when a file cannot be read (the loader then reports it).
    """
    digest = hashlib.sha256(f"format {FORMAT}\n".encode())
    for code in _CODE:
        digest.update(hashlib.sha256(code).digest())
    digest.update(hashlib.sha256(repr(_canonical(normaliser)).encode()).digest())
    for path in files:
        try:
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        except OSError:
            return None
    return digest.hexdigest()


def _canonical(value: object) -> object:
    """`value` with sets and mappings in sorted order: the same in every process.

    `repr` of a frozenset follows string hashing, which is randomised per process, so a key
    made from it never matched a model stored by another process.
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value).__name__,
                tuple((f.name, _canonical(getattr(value, f.name)))
                      for f in dataclasses.fields(value)))
    if isinstance(value, Mapping):
        return tuple(sorted((repr(k), _canonical(v)) for k, v in value.items()))
    if isinstance(value, set | frozenset):
        return tuple(sorted(repr(_canonical(v)) for v in value))
    if isinstance(value, tuple | list):
        return tuple(_canonical(v) for v in value)
    return value


def lookup(key: str, cache_dir: Path | None) -> SafetyModel | None:
    """The model stored under `key`: in this process, else in `cache_dir`; None when neither."""
    return _kept.lookup(key, cache_dir)


def store(key: str, model: SafetyModel, cache_dir: Path | None) -> None:
    """Keep a freshly trained model in this process and in `cache_dir`."""
    _kept.store(key, model, cache_dir)


def forget() -> None:
    """Empty the per-process cache (tests)."""
    _kept.forget()


def to_json(model: SafetyModel) -> dict[str, Any]:
    """The stored form of a model (bot/flows/cachefiles.py adds its key)."""
    return {
        "format": FORMAT,
        "bias": model.bias,
        "size": model.size,
        "weights": dict(model.weights),
        "category_priors": dict(model.category_priors),
        "category_weights": {name: dict(w) for name, w in model.category_weights.items()},
        "category_unknown": dict(model.category_unknown),
    }


def from_json(data: Mapping[str, Any]) -> SafetyModel:
    """A model from its stored form (KeyError, TypeError or ValueError when malformed)."""

    def floats(value: Any) -> Mapping[str, float]:
        if not isinstance(value, dict):
            raise TypeError("not a mapping")
        return MappingProxyType({str(k): float(v) for k, v in value.items()})

    weights = data["category_weights"]
    if not isinstance(weights, dict):
        raise TypeError("category_weights is not a mapping")
    return SafetyModel(
        float(data["bias"]),
        floats(data["weights"]),
        floats(data["category_priors"]),
        MappingProxyType({str(name): floats(w) for name, w in weights.items()}),
        floats(data["category_unknown"]),
        int(data["size"]),
    )


def _decoded(data: Mapping[str, Any]) -> SafetyModel | None:
    if data.get("format") != FORMAT:
        return None
    try:
        return from_json(data)
    except (ValueError, KeyError, TypeError) as error:
        log.warning("safety model cache ignored: %s", type(error).__name__)
        return None


_kept = cachefiles.Kept[SafetyModel](PREFIX, KEEP, to_json, _decoded)


__all__ = ["forget", "from_json", "key_of", "lookup", "store", "to_json"]
