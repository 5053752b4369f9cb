"""A tiny, safe condition language for `next: - if: ...` in flows.

Grammar: expr := or ; or := and ('or' and)* ; and := not ('and' not)* ;
not := 'not' not | atom ; atom := '(' expr ')' | NAME 'is' ['not'] 'set' | NAME OP literal
OP := == != < <= > >= ; literal := number | "string" | 'string' | true | false
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.errors import WegwijsError

_TOKEN = re.compile(
    r"\s*(?:(?P<num>-?\d+(?:\.\d+)?)|(?P<str>\"[^\"]*\"|'[^']*')|(?P<op>==|!=|<=|>=|<|>)"
    r"|(?P<paren>[()])|(?P<name>[A-Za-z_][A-Za-z0-9_]*))"
)


class ConditionSyntaxError(WegwijsError):
    """A condition could not be parsed."""


@dataclass(frozen=True, slots=True)
class Condition:
    """A parsed condition; `slots` lists every slot it reads."""

    source: str
    tree: tuple[Any, ...]
    slots: frozenset[str]

    def evaluate(self, values: Mapping[str, Any]) -> bool:
        """Evaluate against slot values; a missing slot is 'not set'."""
        return bool(_eval(self.tree, values))


def parse_condition(source: str) -> Condition:
    """Parse a condition or raise ConditionSyntaxError with a readable reason."""
    tokens = _tokenize(source)
    parser = _Parser(tokens)
    tree = parser.expr()
    if parser.pos != len(tokens):
        raise ConditionSyntaxError(f"unexpected '{tokens[parser.pos][1]}'")
    return Condition(source, tree, frozenset(parser.names))


def _tokenize(source: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    source = source.rstrip()
    while pos < len(source):
        match = _TOKEN.match(source, pos)
        if not match or match.end() == pos:
            raise ConditionSyntaxError(f"cannot read '{source[pos:].strip()}'")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.names: set[str] = set()

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise ConditionSyntaxError("the condition ends too early")
        self.pos += 1
        return token

    def word(self, word: str) -> bool:
        token = self.peek()
        if token == ("name", word):
            self.pos += 1
            return True
        return False

    def expr(self) -> tuple[Any, ...]:
        left = self.conj()
        while self.word("or"):
            left = ("or", left, self.conj())
        return left

    def conj(self) -> tuple[Any, ...]:
        left = self.neg()
        while self.word("and"):
            left = ("and", left, self.neg())
        return left

    def neg(self) -> tuple[Any, ...]:
        if self.word("not"):
            return ("not", self.neg())
        return self.atom()

    def atom(self) -> tuple[Any, ...]:
        kind, text = self.take()
        if (kind, text) == ("paren", "("):
            inner = self.expr()
            if self.take() != ("paren", ")"):
                raise ConditionSyntaxError("missing ')'")
            return inner
        if kind != "name" or text in {"and", "or", "not", "is"}:
            raise ConditionSyntaxError(f"expected a slot name, found '{text}'")
        self.names.add(text)
        if self.word("is"):
            negate = self.word("not")
            if not self.word("set"):
                raise ConditionSyntaxError("after 'is' write 'set' or 'not set'")
            return ("unset" if negate else "set", text)
        op_kind, op = self.take()
        if op_kind != "op":
            raise ConditionSyntaxError(f"expected ==, !=, <, <=, > or >= after '{text}'")
        return ("cmp", op, text, self.literal())

    def literal(self) -> Any:
        kind, text = self.take()
        if kind == "num":
            return float(text)
        if kind == "str":
            return text[1:-1]
        if kind == "name" and text in {"true", "false"}:
            return text == "true"
        raise ConditionSyntaxError(f"expected a number or a quoted text, found '{text}'")


def _eval(tree: tuple[Any, ...], values: Mapping[str, Any]) -> bool:
    head = tree[0]
    if head == "or":
        return _eval(tree[1], values) or _eval(tree[2], values)
    if head == "and":
        return _eval(tree[1], values) and _eval(tree[2], values)
    if head == "not":
        return not _eval(tree[1], values)
    if head in {"set", "unset"}:
        is_set = values.get(tree[1]) not in (None, "")
        return is_set if head == "set" else not is_set
    _, op, name, literal = tree
    return _compare(op, values.get(name), literal)


def _compare(op: str, value: Any, literal: Any) -> bool:
    if value is None:
        return op == "!="
    if isinstance(literal, float):
        try:
            number = float(value)
        except (TypeError, ValueError):
            return op == "!="
        return {
            "==": number == literal,
            "!=": number != literal,
            "<": number < literal,
            "<=": number <= literal,
            ">": number > literal,
            ">=": number >= literal,
        }[op]
    if isinstance(literal, bool):
        return (bool(value) == literal) == (op == "==")
    text = str(value)
    if op in {"==", "!="}:
        return bool((text == literal) == (op == "=="))
    return False
