"""`wegwijs content test`: find the dialogue files, run them against a throwaway bot, report."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from bot.app import build
from bot.dialogues.listening import Figures, measure
from bot.dialogues.runner import DialogueResult, Runner, transcript
from bot.dialogues.spec import load_dialogues
from bot.flows.problems import Problem
from bot.settings import Settings

TESTS_DIR = "tests"


def dialogue_files(content_dir: Path, given: Sequence[Path]) -> list[Path]:
    """The files to run: those given (files or folders), else every file in content/tests/."""
    roots = list(given) or [content_dir / TESTS_DIR]
    found: list[Path] = []
    for root in roots:
        if root.is_dir():
            found += sorted(p for p in root.rglob("*.yml") if p.is_file())
        else:
            found.append(root)
    return found


async def run_suite(
    settings: Settings, files: Sequence[Path], use_rasa: bool
) -> tuple[list[DialogueResult], list[Problem]]:
    """Run every dialogue of the files on a fresh, temporary database."""
    paths = dialogue_files(settings.content_dir, files)
    dialogues, problems = load_dialogues(paths, settings.content_dir.parent)
    if problems:
        return [], problems
    with tempfile.TemporaryDirectory(prefix="wegwijs-dialogues-") as tmp:
        isolated = replace(settings, data_dir=Path(tmp), database_url=None,
                           rasa_url=settings.rasa_url if use_rasa else None)
        app = await build(isolated)
        try:
            runner = Runner(app.service, app.nlu if use_rasa else None)
            results = [await runner.run(dialogue) for dialogue in dialogues]
        finally:
            await app.close()
    return results, []


def report(results: Sequence[DialogueResult], problems: Sequence[Problem],
           figures: bool = False, show: bool = False) -> tuple[str, bool]:
    """The text report and whether everything passed."""
    if problems:
        text = "\n".join(p.render() for p in problems)
        summary = f"{len(problems)} problem(s) in the dialogue files: nothing was run."
        return f"{text}\n\n{summary}", False
    lines = [r.failure.render() + "\n" for r in results if r.failure is not None]
    if show:
        for result in results:
            lines += [f"{result.dialogue.file}:{result.dialogue.line}: {result.dialogue.name}",
                      *transcript(result.records, notes=True), ""]
    failed = sum(r.failure is not None for r in results)
    skipped = sum(r.skipped for r in results)
    passed = len(results) - failed - skipped
    if figures:
        lines.append(render_figures(measure(results)))
    summary = f"{passed} passed, {failed} failed"
    if skipped:
        summary += f", {skipped} skipped (need the real Rasa model: run with --nlu)"
    lines.append(f"dialogues: {summary}")
    return "\n".join(lines), failed == 0


def render_figures(figures: Figures) -> str:
    """The listening figures of a set of conversations, one per line."""
    def share(count: int) -> str:
        return f"{count} ({count / figures.turns:.1%})" if figures.turns else "0"

    return "\n".join([
        "listening figures:",
        f"  pupil turns: {figures.turns} in {figures.dialogues} conversations",
        f"  answered 'not understood': {share(figures.not_understood)}",
        f"  a statement only acknowledged: {share(figures.acknowledged)}",
        f"  a question answered 'I do not know' (with a person): {share(figures.unanswered)}",
        f"  the question said what it needs: {share(figures.clarified)}",
        f"  a question answered from the question bank: {share(figures.bank_answers)}",
        f"  a new topic offered: {share(figures.switch_offers)}",
        f"  a known slot asked again: {figures.asked_again}",
        f"  a block of messages repeated: {figures.repeated_blocks}",
        f"  a topic hijacked a waiting question: {figures.hijacks}",
        f"  more than three messages in one turn: {figures.long_turns}",
    ])
