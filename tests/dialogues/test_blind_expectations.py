"""The blind pupil dialogues (written by someone who never saw the flows), run offline."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.dialogues.suite import report, run_suite
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
EXPECTATIONS = ROOT / "tests" / "dialogues" / "blind" / "expectations.yml"


def test_every_blind_expectation_passes_offline(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, content_dir=ROOT / "content")
    results, problems = asyncio.run(run_suite(settings, [EXPECTATIONS], use_rasa=False))
    text, passed = report(results, problems)
    assert not problems, text
    assert passed, text
    assert len(results) >= 30
