"""Placeholder: the content engineer adds the catalog actions (routes, resources, plan)."""

from __future__ import annotations

from collections.abc import Mapping

from bot.core.actions import Builtin

BUILTINS: Mapping[str, Builtin] = {}
