"""Entity figures of a trained NLU model on held-out sentences (precision, recall, F1 per entity).

Run: .venv/bin/python bench/entity_eval.py [--model nlu/models/nlu-....tar.gz] [--data FILE]
Defaults: the model of the current training inputs (trained first when missing) and
nlu/eval/entities.yml, sentences that are not in nlu/data/ (also everyday words that are place
names, and numbers that are not postcodes). Prints one JSON object per entity extractor of the
model, from `rasa test nlu`'s `<Extractor>_report.json`. Two models (e.g. before and after a
pipeline change) are compared by running this once for each.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

from bot.nlu_tools.project import NluProject
from bot.nlu_tools.train import _run_with_progress, train

ENTITIES = ("municipality", "postcode")


def evaluate(project: NluProject, model: Path, data: Path) -> dict[str, Any]:
    """Per extractor: precision, recall, F1 and support of each entity on `data`."""
    with tempfile.TemporaryDirectory(prefix="wegwijs-entities-") as out:
        _run_with_progress(
            [
                str(project.rasa()),
                "test",
                "nlu",
                "--nlu",
                str(data),
                "--model",
                str(model),
                "--out",
                out,
            ],
            project.root,
            lambda _line: None,
        )
        result: dict[str, Any] = {}
        for report in sorted(Path(out).glob("*_report.json")):
            if report.name == "intent_report.json":
                continue
            figures = json.loads(report.read_text(encoding="utf-8"))
            result[report.name.removesuffix("_report.json")] = {
                name: {
                    key: round(float(figures[name][key]), 3)
                    for key in ("precision", "recall", "f1-score")
                }
                | {"support": int(figures[name]["support"])}
                for name in ENTITIES
                if name in figures
            }
        return result


def main() -> None:
    """Print the entity figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="a trained model (default: the current one)")
    parser.add_argument("--data", type=Path, help="test sentences (default: nlu/eval/entities.yml)")
    args = parser.parse_args()
    project = NluProject.locate()
    model = (args.model or train(project)).resolve()
    data = (args.data or project.root / "eval" / "entities.yml").resolve()
    print(json.dumps({"model": model.name, "data": data.name} | evaluate(project, model, data),
                     indent=2))


if __name__ == "__main__":
    main()
