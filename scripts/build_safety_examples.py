"""Write bot/safety/data/nlu_examples.yml from the Rasa training data in nlu/data.

Run: .venv/bin/python scripts/build_safety_examples.py   (idempotent; a test checks the file)
"""

from __future__ import annotations

from pathlib import Path

from bot.nlu_tools.corpus import render_safety_corpus

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "bot" / "safety" / "data" / "nlu_examples.yml"


def main() -> None:
    text = render_safety_corpus(ROOT / "nlu" / "data")
    if TARGET.exists() and TARGET.read_text(encoding="utf-8") == text:
        print(f"{TARGET.relative_to(ROOT)} is up to date")
        return
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
