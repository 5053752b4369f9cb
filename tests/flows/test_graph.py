"""Mermaid diagrams are generated for every flow."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.flows import graph
from bot.flows.loader import load_flows
from tests.support.conversation import CONTENT_DIR


def test_every_flow_gets_a_mermaid_diagram() -> None:
    flows, _ = load_flows(CONTENT_DIR)
    page = graph.render_all(flows)
    assert page.count("```mermaid") == len(flows)
    for flow_id in flows:
        assert f"### {flow_id}:" in page


def test_diagram_shows_branches_calls_links_and_end() -> None:
    flows, _ = load_flows(CONTENT_DIR)
    chart = graph.render_flow(flows["quit_school"])
    assert chart.startswith("flowchart TD")
    assert "s_situation -->|situation == #quot;skipped#quot;| s_skipped" in chart
    assert "s_to_exit -.-> f_exit_talk" in chart
    assert "s_intake -.-> f_intake" in chart
    assert '"' not in chart.replace('["', "").replace('"]', "").replace('("', "").replace(
        '")', ""
    ).replace('[/"', "").replace('"/]', "").replace('[["', "").replace('"]]', "").replace(
        '{{"', ""
    ).replace('"}}', "")


def test_main_writes_the_page(tmp_path: Path) -> None:
    out = tmp_path / "flows.md"
    assert graph.main(["--content", str(CONTENT_DIR), "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8").startswith("# Flows")


def test_main_prints_and_fails_on_broken_flows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "flows").mkdir()
    (tmp_path / "schema").mkdir()
    (tmp_path / "schema" / "flows.schema.json").write_text(
        (CONTENT_DIR / "schema" / "flows.schema.json").read_text(encoding="utf-8")
    )
    (tmp_path / "flows" / "a.yml").write_text("flows:\n  x: {steps: [{say: 1}]\n")
    assert graph.main(["--content", str(tmp_path)]) == 1
    assert "YAML syntax error" in capsys.readouterr().err
