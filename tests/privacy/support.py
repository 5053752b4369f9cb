"""Shared helpers for the privacy, fault, security and storage tests.

`hardened_content` copies the real content and adds two test-only flows with free-text
answers (`probe`: private answers; `chain`: twelve questions in a row, so every message moves
the state one step). Until `content/flows/crisis.yml` exists, stub crisis flows are added too.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import yaml

from tests.support.conversation import CONTENT_DIR

CHAIN_LENGTH = 12
PUPIL_ID_TELEGRAM = "730012345"
SECRET = "test-secret-key-0123456789abcdef"

_CRISIS_FLOWS = (
    "crisis_suicide_self_harm",
    "crisis_violence_abuse",
    "crisis_acute_danger",
    "safety_check",
)


def _probe_flows() -> dict[str, object]:
    chain_steps: list[dict[str, object]] = [
        {"id": f"q{i}", "ask": f"Vraag {i}?", "collect": f"chain_{i}", "ask_again": True}
        for i in range(1, CHAIN_LENGTH + 1)
    ]
    chain_steps.append({"say": "Klaar met de ketting."})
    return {
        "flows": {
            "probe": {
                "title": "Test",
                "description": "test-only: free-text answers",
                "steps": [
                    {
                        "id": "story",
                        "ask": "Vertel eens?",
                        "collect": "probe_story",
                        "ask_again": True,
                    },
                    {"id": "more", "ask": "Nog iets?", "collect": "probe_more", "ask_again": True},
                    {"say": "Dank je."},
                ],
            },
            "chain": {
                "title": "Ketting",
                "description": "test-only: one step per message",
                "steps": chain_steps,
            },
        }
    }


def _probe_slots() -> dict[str, object]:
    slots: dict[str, object] = {
        "probe_story": {"type": "text", "private": True, "description": "test"},
        "probe_more": {"type": "text", "private": True, "description": "test"},
    }
    for i in range(1, CHAIN_LENGTH + 1):
        slots[f"chain_{i}"] = {"type": "text", "description": "test"}
    return {"slots": slots}


def _crisis_stubs() -> dict[str, object]:
    return {
        "flows": {
            flow: {
                "title": flow,
                "description": "test stub",
                "steps": [
                    {"say": "Bel 112 of 1813."},
                    {"action": "handoff", "kind": "crisis", "priority": "urgent"},
                ],
            }
            for flow in _CRISIS_FLOWS
        }
    }


def hardened_content(dest: Path) -> Path:
    """A copy of the real content plus the test-only flows; returns its directory."""
    target = dest / "content"
    source = Path(os.environ.get("WEGWIJS_TEST_CONTENT_SOURCE") or CONTENT_DIR)  # a dev aid
    shutil.copytree(source, target)
    dump = {"allow_unicode": True, "sort_keys": False}
    (target / "flows" / "zz_privacy_probe.yml").write_text(
        yaml.safe_dump(_probe_flows(), **dump), encoding="utf-8"
    )  # type: ignore[call-overload]
    (target / "slots_privacy_probe.yml").write_text(
        yaml.safe_dump(_probe_slots(), **dump), encoding="utf-8"
    )  # type: ignore[call-overload]
    if not (target / "flows" / "crisis.yml").exists():
        (target / "flows" / "zz_crisis_stub.yml").write_text(
            yaml.safe_dump(_crisis_stubs(), **dump), encoding="utf-8"
        )  # type: ignore[call-overload]
    return target
