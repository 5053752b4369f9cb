"""The plain Rasa Core peer of the Telegram bench (bench/rasa_peer/) stays a fair peer: the NLU
pipeline and intents of nlu/, one rule and response per intent, valid for Rasa. Nothing here
trains a model."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from bench.rasa_peer.peer import PeerProject
from bot.nlu_tools.project import NluProject
from tests.nlu.test_rasa_project import run_in_rasa_venv


@pytest.fixture(scope="module")
def peer() -> PeerProject:
    """The peer of this repository (bench/rasa_peer/ next to nlu/)."""
    return PeerProject.locate()


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_peer_pipeline_is_the_nlu_pipeline(peer: PeerProject) -> None:
    mine, nlu = _load(peer.root / "config.yml"), _load(peer.nlu.root / "config.yml")
    assert mine["pipeline"] == nlu["pipeline"]
    assert mine["language"] == nlu["language"]
    assert {p["name"] for p in mine["policies"]} == {"RulePolicy", "MemoizationPolicy"}


def test_peer_domain_has_the_intents_and_entities_of_nlu(peer: PeerProject) -> None:
    mine, nlu = _load(peer.root / "domain.yml"), _load(peer.nlu.root / "domain.yml")
    assert mine["intents"] == nlu["intents"]
    assert mine["entities"] == nlu["entities"]


def test_every_intent_has_a_rule_to_its_own_response(peer: PeerProject) -> None:
    domain = _load(peer.root / "domain.yml")
    rules = _load(peer.root / "data" / "rules.yml")["rules"]
    steps = {(r["steps"][0]["intent"], r["steps"][1]["action"]) for r in rules}
    wanted = {(intent, f"utter_{intent}") for intent in domain["intents"]}
    assert wanted | {("nlu_fallback", "utter_default")} == steps
    assert {action for _, action in steps} <= set(domain["responses"])


def test_credentials_open_the_rest_channel(peer: PeerProject) -> None:
    assert "rest" in _load(peer.root / "credentials.yml")


def test_fingerprint_follows_the_peer_files_and_the_nlu_data(
    peer: PeerProject, tmp_path: Path
) -> None:
    shutil.copytree(peer.nlu.root, tmp_path / "nlu",
                    ignore=shutil.ignore_patterns(".venv", "models", ".rasa", ".cache", "reports"))
    shutil.copytree(peer.root, tmp_path / "bench" / "rasa_peer",
                    ignore=shutil.ignore_patterns("models", "__pycache__"))
    copy = PeerProject(NluProject(tmp_path / "nlu"), tmp_path / "bench" / "rasa_peer")
    before = copy.fingerprint()
    assert copy.fingerprint() == before == peer.fingerprint()

    rules = copy.root / "data" / "rules.yml"
    rules.write_text(rules.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    after_rules = copy.fingerprint()
    greetings = tmp_path / "nlu" / "data" / "smalltalk.yml"
    greetings.write_text(greetings.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert len({before, after_rules, copy.fingerprint()}) == 3


@pytest.mark.rasa
@pytest.mark.slow
def test_rasa_data_validate_passes_on_the_peer_with_fail_on_warnings(peer: PeerProject) -> None:
    result = run_in_rasa_venv(
        peer.nlu, "rasa", "data", "validate", "--fail-on-warnings",
        "--config", str(peer.root / "config.yml"),
        "--domain", str(peer.root / "domain.yml"),
        "--data", str(peer.nlu.root / "data"), str(peer.root / "data"),
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
