"""Threats: SQL injection through text built into a query, and code execution through YAML
tags. Static checks over every module of `bot/`: SQL text only as constant strings (values go
in as bound parameters), YAML only through safe loaders."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parents[2] / "bot"
SQL_CALLS = {"text", "exec_driver_sql", "execute", "executescript", "literal_column"}
RAW_SQL_CALLS = {"exec_driver_sql", "executescript", "literal_column"}
UNSAFE_YAML = {"unsafe_load", "full_load", "load_all", "unsafe_load_all", "full_load_all"}
SAFE_LOADERS = {"SafeLoader", "CSafeLoader", "BaseLoader", "CBaseLoader"}


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


def _dynamic_string(node: ast.expr) -> bool:
    """An f-string, %-formatting, .format() or concatenation: text assembled at run time."""
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod):
        return True
    return isinstance(node, ast.Call) and _name(node.func) in {"format", "join", "replace"}


def _is_sqlalchemy_text(func: ast.expr, tree: ast.Module) -> bool:
    """`text(...)` imported from sqlalchemy, or `sqlalchemy.text` / `sa.text`; not `self.text`."""
    if isinstance(func, ast.Attribute):
        return _name(func.value) in {"sqlalchemy", "sa"}
    imported = any(
        isinstance(n, ast.ImportFrom)
        and (n.module or "").startswith("sqlalchemy")
        and any(a.name == "text" and a.asname is None for a in n.names)
        for n in ast.walk(tree)
    )
    return imported or "import" not in ast.unparse(tree)


def sql_problems(source: str, where: str) -> list[str]:
    """Calls that build SQL text dynamically (or pass a non-constant to text())."""
    problems = []
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name = _name(node.func)
        first = node.args[0]
        if (
            name == "text"
            and _is_sqlalchemy_text(node.func, tree)
            and not (isinstance(first, ast.Constant) and isinstance(first.value, str))
        ):
            problems.append(f"{where}:{node.lineno}: text() with a non-constant argument")
        elif name in SQL_CALLS and _dynamic_string(first):
            problems.append(f"{where}:{node.lineno}: {name}() with SQL built at run time")
        elif name in RAW_SQL_CALLS and not isinstance(first, ast.Constant):
            problems.append(f"{where}:{node.lineno}: {name}() with a non-constant argument")
    return problems


def yaml_problems(source: str, where: str) -> list[str]:
    """YAML loading that can construct arbitrary Python objects."""
    problems = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in UNSAFE_YAML
            and _name(node.value) == "yaml"
        ):
            problems.append(f"{where}:{node.lineno}: yaml.{node.attr}")
        if (
            isinstance(node, ast.Attribute)
            and node.attr
            in {"Loader", "FullLoader", "UnsafeLoader", "CLoader", "CFullLoader", "CUnsafeLoader"}
            and _name(node.value) == "yaml"
        ):
            problems.append(f"{where}:{node.lineno}: yaml.{node.attr}")
        if (
            isinstance(node, ast.Call)
            and _name(node.func) == "load"
            and _name(getattr(node.func, "value", node.func)) == "yaml"
        ):
            loader = next(
                (k.value for k in node.keywords if k.arg == "Loader"),
                node.args[1] if len(node.args) > 1 else None,
            )
            if loader is None or _name(loader) not in SAFE_LOADERS:
                problems.append(f"{where}:{node.lineno}: yaml.load without a safe Loader")
    return problems


def _modules() -> list[Path]:
    return sorted(BOT.rglob("*.py"))


def test_every_sql_statement_in_bot_is_constant_text_with_bound_parameters() -> None:
    found = [
        p
        for path in _modules()
        for p in sql_problems(path.read_text(encoding="utf-8"), str(path.relative_to(BOT)))
    ]
    assert found == []


def test_all_yaml_in_bot_is_loaded_with_safe_loaders() -> None:
    found = [
        p
        for path in _modules()
        for p in yaml_problems(path.read_text(encoding="utf-8"), str(path.relative_to(BOT)))
    ]
    assert found == []


@pytest.mark.parametrize(
    "snippet",
    [
        "session.execute(text(f\"SELECT * FROM pupils WHERE id = '{pupil}'\"))",
        "session.execute(text(\"SELECT * FROM pupils WHERE id = '%s'\" % pupil))",
        'session.execute(text("SELECT " + column))',
        "text(query)",
        'conn.exec_driver_sql("DELETE FROM t WHERE id = {}".format(x))',
        'cursor.execute(f"PRAGMA key = {key}")',
    ],
)
def test_sql_check_catches_text_built_at_run_time(snippet: str) -> None:
    assert sql_problems(snippet, "x") != []


def test_sql_check_accepts_constant_text_with_bound_parameters() -> None:
    ok = 'session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": k})'
    assert sql_problems(ok, "x") == []


@pytest.mark.parametrize(
    "snippet",
    [
        "yaml.load(data)",
        "yaml.load(data, Loader=yaml.Loader)",
        "yaml.unsafe_load(data)",
        "yaml.full_load(data)",
        "yaml.load(data, yaml.FullLoader)",
    ],
)
def test_yaml_check_catches_unsafe_loading(snippet: str) -> None:
    assert yaml_problems(snippet, "x") != []


def test_yaml_check_accepts_safe_loading() -> None:
    ok = "yaml.safe_load(data)\nyaml.load(data, Loader=yaml.SafeLoader)\nyaml.safe_load_all(d)"
    assert yaml_problems(ok, "x") == []
