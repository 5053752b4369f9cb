"""The editors' map (`wegwijs content graph --html`): one self-contained page, every flow."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html import escape
from html.parser import HTMLParser
from pathlib import Path

from bot.cli import main
from bot.flows import flowmap
from tests.support.conversation import CONTENT_DIR, real_content

SVG = "{http://www.w3.org/2000/svg}"


class Outline(HTMLParser):
    """The ids, tags and outside references of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.tags: list[str] = []
        self.outside: list[str] = []
        self.sections = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.tags.append(tag)
        if values.get("id"):
            self.ids.add(str(values["id"]))
        if tag == "section" and values.get("class") == "flow":
            self.sections += 1
        for name in ("src", "href"):
            target = values.get(name)
            if target is not None and not target.startswith("#"):
                self.outside.append(target)


def page() -> str:
    return flowmap.render_html(real_content())


def test_the_page_is_one_offline_file_of_reasonable_size_with_every_flow() -> None:
    html = page()
    assert 20_000 < len(html.encode()) < 2_000_000
    outline = Outline()
    outline.feed(html)
    assert "script" not in outline.tags and "link" not in outline.tags
    assert outline.outside == []  # works offline: nothing loaded from elsewhere
    flows = real_content().flows
    assert outline.sections == len(flows)
    for flow in flows.values():
        assert f"flow-{flow.id}" in outline.ids
        assert all(f"step-{flow.id}-{step.id}" in outline.ids for step in flow.steps)


def test_the_overview_is_valid_svg_with_a_box_per_flow_and_an_arrow_per_link() -> None:
    svg_text = re.search(r"<svg.*?</svg>", page(), re.S)
    assert svg_text is not None
    svg = ET.fromstring(svg_text.group(0))
    content = real_content()
    boxes = {a.get("id"): a for a in svg.iter(f"{SVG}a")}
    assert set(boxes) == {f"node-{flow_id}" for flow_id in content.flows}
    for box in boxes.values():
        assert box.find(f"{SVG}rect") is not None
    x = [float(rect.get("x", "0")) for rect in svg.iter(f"{SVG}rect")]
    assert len(set(x)) >= 4  # flows spread over columns, not one long list
    edges = [p for p in svg.iter(f"{SVG}path") if "edge" in (p.get("class") or "")]
    pairs = {(link.source, link.target, link.kind) for link in flowmap.links(content)}
    assert len(edges) == len(pairs)
    welcome_to_quit = [e for e in edges if "welcome link quit_school" in
                       (e.findtext(f"{SVG}title") or "")]
    assert welcome_to_quit
    assert "button 'Ik wil stoppen met school'" in (welcome_to_quit[0].findtext(f"{SVG}title")
                                                    or "")


def test_each_flow_shows_full_texts_button_titles_and_where_it_leads() -> None:
    html = page()
    welcome = real_content().flows["welcome"]
    long_text = max(welcome.steps[0].texts, key=len)
    assert len(long_text) > 100  # the Mermaid graph cut texts at 47 characters
    assert escape(long_text) in html
    assert '<span class="button" title="value: quit">Ik wil stoppen met school</span>' in html
    section = html[html.index('id="flow-quit_school"'):]
    section = section[: section.index("</section>")]
    assert '<a href="#flow-motivation">motivation</a> (link, button' in section
    assert "Starts with:" in html and "/menu" in html


def test_the_graph_command_writes_the_page(tmp_path: Path) -> None:
    out = tmp_path / "map.html"
    assert main(["content", "graph", "--content-dir", str(CONTENT_DIR), "--html", str(out)]) == 0
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
