"""Build small Content objects from YAML snippets for engine table tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

from bot.content import all_actions
from bot.flows.loader import load_flows, load_patterns, load_slots, load_texts
from bot.flows.model import Content
from tests.support.conversation import CONTENT_DIR

SLOTS = """
slots:
  age: {type: number, min: 10, max: 30}
  score: {type: number, min: 0, max: 10}
  ok: {type: yes_no}
  pick: {type: choice}
  story: {type: text, private: true}
  place: {type: location}
  municipality: {type: text}
  province: {type: text}
  network: {type: text}
  share_consent: {type: choice}
  forget_confirm: {type: yes_no}
  stop_choice: {type: choice}
  topic: {type: choice}
"""


def make_content(tmp: Path, flows: str, places: object = None) -> Content:
    """Content with the given flows, our test slots and the real patterns and texts."""
    (tmp / "flows").mkdir(parents=True, exist_ok=True)
    (tmp / "schema").symlink_to(CONTENT_DIR / "schema")
    (tmp / "flows" / "test.yml").write_text(textwrap.dedent(flows), encoding="utf-8")
    (tmp / "slots.yml").write_text(SLOTS, encoding="utf-8")
    loaded, problems = load_flows(tmp)
    slots, more = load_slots(tmp)
    assert not problems + more, [p.render() for p in problems + more]
    patterns, _ = load_patterns(CONTENT_DIR)
    texts, _ = load_texts(CONTENT_DIR)
    real_flows, _ = load_flows(CONTENT_DIR)
    flows_all = {
        **{
            k: v
            for k, v in real_flows.items()
            if k in {"handoff", "forget", "help", "stop", "privacy"}
        },
        **loaded,
    }
    return Content(flows_all, slots, patterns, texts, places=places, actions=all_actions())
