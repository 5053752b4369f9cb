"""The Rasa project itself: its data validates, and our intent classifier (nlu/wegwijs_nlu)
works inside the Rasa venv."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bot.nlu_tools.project import NluError, NluProject, rasa_env

pytestmark = pytest.mark.rasa

CHECK = Path(__file__).parent / "rasa_side" / "linear_intent_check.py"


def run_in_rasa_venv(
    project: NluProject, program: str, *args: str, timeout: float
) -> subprocess.CompletedProcess[str]:
    """Run a program of nlu/.venv/bin in nlu/, as the bot runs Rasa."""
    try:
        executable = project.rasa().parent / program
    except NluError as exc:
        pytest.fail(str(exc))
    return subprocess.run(
        [str(executable), *args],
        cwd=project.root,
        env=rasa_env({"PYTHONPATH": str(project.root)}),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_linear_intent_classifier_trains_persists_and_ranks(nlu_project: NluProject) -> None:
    result = run_in_rasa_venv(nlu_project, "python", str(CHECK), timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "all checks passed" in result.stdout


@pytest.mark.slow
def test_rasa_data_validate_passes_with_fail_on_warnings(nlu_project: NluProject) -> None:
    result = run_in_rasa_venv(
        nlu_project, "rasa", "data", "validate", "--fail-on-warnings", timeout=600
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
