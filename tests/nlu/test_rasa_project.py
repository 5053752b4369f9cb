"""The Rasa project itself: its data validates, and our intent classifier (nlu/wegwijs_nlu)
works inside the Rasa venv."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bot.nlu.project import NluError, NluProject, rasa_env

pytestmark = pytest.mark.rasa

CHECK = Path(__file__).parent / "rasa_side" / "linear_intent_check.py"


def test_linear_intent_classifier_trains_persists_and_ranks(nlu_project: NluProject) -> None:
    try:
        python = nlu_project.rasa().parent / "python"
    except NluError as exc:
        pytest.fail(str(exc))
    result = subprocess.run(
        [str(python), str(CHECK)],
        cwd=nlu_project.root,
        env=rasa_env({"PYTHONPATH": str(nlu_project.root)}),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "all checks passed" in result.stdout


@pytest.mark.slow
def test_rasa_data_validate_passes_with_fail_on_warnings(nlu_project: NluProject) -> None:
    try:
        rasa = nlu_project.rasa()
    except NluError as exc:
        pytest.fail(str(exc))
    result = subprocess.run(
        [str(rasa), "data", "validate", "--fail-on-warnings"],
        cwd=nlu_project.root,
        env=rasa_env(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
