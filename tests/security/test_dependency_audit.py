"""Threat: a dependency with a known vulnerability. The audit script fails the build on one,
and says SKIPPED (instead of a false "all clear") when nothing could be audited."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "audit_dependencies.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("audit_dependencies", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_known_vulnerability_fails_the_audit(capsys: pytest.CaptureFixture[str]) -> None:
    deps = [
        {
            "name": "pyyaml",
            "version": "5.3",
            "vulns": [{"id": "PYSEC-2021-142", "fix_versions": ["5.4"]}],
        },
        {"name": "httpx", "version": "0.28.1", "vulns": []},
    ]
    assert _script().judge(deps, "pypi") == 1
    assert "VULNERABLE pyyaml 5.3: PYSEC-2021-142 (fix: 5.4)" in capsys.readouterr().out


def test_nothing_audited_is_reported_as_skipped_not_as_clean(
    capsys: pytest.CaptureFixture[str],
) -> None:
    deps = [
        {
            "name": "httpx",
            "skip_reason": "Dependency not found on PyPI and could not be audited: httpx (0.28.1)",
        }
    ]
    assert _script().judge(deps, "pypi") == 0
    out = capsys.readouterr().out
    assert out.startswith("SKIPPED") and "no known vulnerabilities" not in out


def test_clean_audit_passes(capsys: pytest.CaptureFixture[str]) -> None:
    deps = [{"name": "httpx", "version": "0.28.1", "vulns": []}]
    assert _script().judge(deps, "osv") == 0
    assert "1 packages audited, no known vulnerabilities" in capsys.readouterr().out
