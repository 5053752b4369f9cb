"""Frozen dataclasses to plain JSON values and back, led by their field types.

For what is derived from content and kept in a cache folder (bot/flows/cachefiles.py): a value
is written as JSON objects, lists, strings and numbers; reading it back follows the declared
types of the dataclass fields (tuples, frozensets, mappings, enums, literals, optional values),
so a stored file cannot name a type or any code. Regular expressions are stored by a number the
caller gives them. A value that does not fit its type raises TypeError, ValueError, KeyError or
IndexError.
"""

from __future__ import annotations

import dataclasses
import enum
import re
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from types import MappingProxyType
from typing import Any


def to_plain(value: Any, number: Callable[[re.Pattern[str]], int] | None = None) -> Any:
    """`value` as plain JSON data; `number` stores a regular expression (none: not allowed)."""
    if isinstance(value, re.Pattern):
        if number is None:
            raise TypeError("a regular expression needs a number")
        return number(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: to_plain(getattr(value, f.name), number)
            for f in dataclasses.fields(value)
            if f.init
        }
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): to_plain(v, number) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted(to_plain(v, number) for v in value)
    if isinstance(value, tuple | list):
        return [to_plain(v, number) for v in value]
    if value is None or isinstance(value, str | int | float):
        return value
    raise TypeError(f"cannot store a {type(value).__name__}")


def from_plain(hint: Any, value: Any, patterns: Sequence[re.Pattern[str]] = ()) -> Any:
    """The value of type `hint` that `to_plain` wrote; `patterns` by their numbers."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Union or origin is types.UnionType:
        if value is None and type(None) in args:
            return None
        (inner,) = (a for a in args if a is not type(None))
        return from_plain(inner, value, patterns)
    if origin is typing.Literal:
        if value not in args:
            raise ValueError(f"{value!r} is not one of {args}")
        return value
    if hint is re.Pattern or origin is re.Pattern:
        if type(value) is not int:
            raise TypeError("a regular expression is stored by its number")
        return patterns[value]
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_items(args[0], value, patterns))
        return tuple(from_plain(a, v, patterns) for a, v in zip(args, _list(value), strict=True))
    if origin is frozenset:
        return frozenset(_items(args[0], value, patterns))
    if origin is Mapping or origin is dict:
        return MappingProxyType(
            {k: from_plain(args[1], v, patterns) for k, v in _dict(value).items()}
        )
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint(value)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        hints = _hints(hint)
        return hint(**{k: from_plain(hints[k], v, patterns) for k, v in _dict(value).items()})
    if hint is float and type(value) in (int, float):
        return float(value)
    if hint in (str, int, bool) and type(value) is hint:
        return value
    raise TypeError(f"cannot read a {hint} from a {type(value).__name__}")


def _dict(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError("not a mapping")
    return value


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise TypeError("not a list")
    return value


def _items(hint: Any, values: Any, patterns: Sequence[re.Pattern[str]]) -> list[Any]:
    """The items of a tuple or set; words (most of a lexicon) as they are, checked at once."""
    if hint is str or hint is int:
        if not all(type(v) is hint for v in _list(values)):
            raise TypeError(f"not a list of {hint.__name__}")
        return _list(values)
    return [from_plain(hint, v, patterns) for v in _list(values)]


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


__all__ = ["from_plain", "to_plain"]
