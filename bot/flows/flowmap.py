"""A map of the conversations that editors can read: one self-contained HTML page.

`wegwijs content graph --html` writes it: an overview (inline SVG, laid out here, no JavaScript,
works offline) of every flow and the links between them (calls, links, the buttons that lead
there, how a pupil starts it), then each flow with its steps, full texts and button titles.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape

from bot.flows.model import END, ButtonSpec, Content, FlowSpec, StepSpec

NODE_W, NODE_H = 200, 40
COLUMN_GAP, ROW_GAP, MARGIN = 90, 14, 20
LABEL_MAX = 26
_COLOURS = {"call": "#4a6fa5", "link": "#b05a00"}


@dataclass(frozen=True, slots=True)
class Link:
    """One flow leading to another: by a `call` or `link` step, taken when `label` holds."""

    source: str
    target: str
    kind: str
    step: str
    label: str


def links(content: Content) -> list[Link]:
    """Every call and link between flows, labelled with the button title that leads there."""
    found: list[Link] = []
    for flow in content.flows.values():
        for step in flow.steps:
            target = step.flow_target
            if step.kind in {"call", "link"} and target is not None and target in content.flows:
                found.append(Link(flow.id, target, step.kind, step.id,
                                  _reason(flow, step.id)))
    return found


def entries(content: Content) -> dict[str, list[str]]:
    """How a pupil starts each flow from anywhere: commands, intents and topics."""
    patterns = content.patterns
    found: dict[str, list[str]] = {}
    for name, flow in patterns.commands.items():
        found.setdefault(flow, []).append(f"/{name}")
    for intent, flow in patterns.global_intents.items():
        found.setdefault(flow, []).append(f"intent {intent}")
    for intent, flow in patterns.topics.items():
        found.setdefault(flow, []).append(f"topic {intent}")
    if patterns.start_flow in content.flows:
        found.setdefault(patterns.start_flow, []).insert(0, "start")
    return found


def render_html(content: Content) -> str:
    """The whole page: overview map, then every flow with its steps."""
    all_links = links(content)
    starts = entries(content)
    flows = sorted(content.flows.values(), key=lambda f: (f.file, f.line or 0))
    parts = [
        "<!DOCTYPE html>",
        '<html lang="nl"><head><meta charset="utf-8">',
        "<title>Wegwijs: map of the conversations</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>Wegwijs: map of the conversations</h1>",
        "<p>Generated from <code>content/</code> by <code>wegwijs content graph --html</code>;"
        " do not edit by hand. Click a flow to read its steps.</p>",
        "<h2>Overview</h2>",
        '<p class="legend"><span class="call">&#8594; call</span> (comes back afterwards)'
        ' <span class="link">&#8674; link</span> (goes on there)</p>',
        overview_svg(content, all_links),
        "<h2>Flows</h2>",
        "<ul class=\"index\">",
        *(f'<li><a href="#flow-{escape(f.id)}">{escape(f.id)}</a>: {escape(f.title)}</li>'
          for f in flows),
        "</ul>",
    ]
    for flow in flows:
        parts.append(_flow_section(content, flow, all_links, starts.get(flow.id, [])))
    parts.append("</body></html>")
    return "\n".join(parts)


def overview_svg(content: Content, all_links: list[Link]) -> str:
    """Flows as boxes in columns (a pupil goes left to right), arrows for calls and links."""
    places = _layout(content, all_links)
    width = max((x for x, _ in places.values()), default=0) + NODE_W + 2 * MARGIN
    height = max((y for _, y in places.values()), default=0) + NODE_H + 2 * MARGIN
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="overview" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        'aria-label="Flows and the links between them">',
        "<defs>",
        *(f'<marker id="arrow-{kind}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
          f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
          f'fill="{_COLOURS[kind]}"/></marker>' for kind in ("call", "link")),
        "</defs>",
    ]
    seen: set[tuple[str, str, str]] = set()
    for link in all_links:
        if (link.source, link.target, link.kind) in seen:
            continue
        seen.add((link.source, link.target, link.kind))
        parts.append(_edge(link, places))
    for flow_id, (x, y) in places.items():
        flow = content.flows[flow_id]
        parts.append(
            f'<a href="#flow-{escape(flow_id)}" id="node-{escape(flow_id)}">'
            f"<title>{escape(flow_id)}: {escape(flow.title)}</title>"
            f'<rect x="{x}" y="{y}" width="{NODE_W}" height="{NODE_H}" rx="6" '
            f'fill="#e8f0fe" stroke="#4a6fa5"/>'
            f'<text x="{x + 8}" y="{y + 16}" font-size="12" font-weight="bold" '
            f'font-family="sans-serif">{escape(_short(flow_id))}</text>'
            f'<text x="{x + 8}" y="{y + 32}" font-size="11" '
            f'font-family="sans-serif">{escape(_short(flow.title))}</text>'
            "</a>"
        )
    parts.append("</svg>")
    return "\n".join(parts)


def _layout(content: Content, all_links: list[Link]) -> dict[str, tuple[int, int]]:
    """Columns by the longest way from the flows nothing leads to (the start flow first), so
    that arrows point right; in a column, flows sit near the flows that lead to them."""
    start = content.patterns.start_flow
    order = sorted(content.flows, key=lambda f: (f != start, content.flows[f].file, f))
    targets: dict[str, list[str]] = {}
    for link in all_links:
        targets.setdefault(link.source, []).append(link.target)
    forward = _forward_edges(order, targets)
    depth = {flow_id: 0 for flow_id in order}
    for flow_id in _topological(order, forward):
        for target in forward.get(flow_id, []):
            depth[target] = max(depth[target], depth[flow_id] + 1)
    columns: dict[int, list[str]] = {}
    for flow_id in order:
        columns.setdefault(depth[flow_id], []).append(flow_id)
    row: dict[str, float] = {}
    for column in sorted(columns):
        members = columns[column]
        if column:
            members.sort(key=lambda f: _mean_row(f, forward, row))
        row.update({flow_id: float(index) for index, flow_id in enumerate(members)})
    return {
        flow_id: (MARGIN + column * (NODE_W + COLUMN_GAP), MARGIN + index * (NODE_H + ROW_GAP))
        for column, members in columns.items()
        for index, flow_id in enumerate(members)
    }


def _forward_edges(order: list[str], targets: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """The edges without those that close a cycle (found by a depth-first walk)."""
    forward: dict[str, list[str]] = {}
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str) -> None:
        state[node] = 1
        for target in targets.get(node, []):
            if state.get(target) == 1:
                continue  # back to a flow on the current path: a cycle
            forward.setdefault(node, []).append(target)
            if target not in state:
                visit(target)
        state[node] = 2

    for node in order:
        if node not in state:
            visit(node)
    return forward


def _topological(order: list[str], forward: Mapping[str, list[str]]) -> list[str]:
    waiting = {node: 0 for node in order}
    for node in order:
        for target in forward.get(node, []):
            waiting[target] += 1
    ready = deque(node for node in order if waiting[node] == 0)
    result: list[str] = []
    while ready:
        node = ready.popleft()
        result.append(node)
        for target in forward.get(node, []):
            waiting[target] -= 1
            if waiting[target] == 0:
                ready.append(target)
    return result


def _mean_row(flow_id: str, forward: Mapping[str, list[str]], row: Mapping[str, float]) -> float:
    rows = [row[source] for source, targets in forward.items()
            if flow_id in targets and source in row]
    return sum(rows) / len(rows) if rows else 0.0


def _edge(link: Link, places: Mapping[str, tuple[int, int]]) -> str:
    (x1, y1), (x2, y2) = places[link.source], places[link.target]
    start_x, start_y = float(x1 + NODE_W), y1 + NODE_H / 2
    end_x, end_y = float(x2), y2 + NODE_H / 2
    if x2 <= x1:  # back to an earlier column: leave from the bottom, come in from below
        start_x, start_y = x1 + NODE_W / 2, y1 + NODE_H
        end_x, end_y = x2 + NODE_W / 2, y2 + NODE_H
        bend = max(abs(start_x - end_x) / 3, 40)
        path = (f"M{start_x:.0f},{start_y:.0f} C{start_x:.0f},{start_y + bend:.0f} "
                f"{end_x:.0f},{end_y + bend:.0f} {end_x:.0f},{end_y:.0f}")
    else:
        middle = (start_x + end_x) / 2
        path = (f"M{start_x:.0f},{start_y:.0f} C{middle:.0f},{start_y:.0f} "
                f"{middle:.0f},{end_y:.0f} {end_x:.0f},{end_y:.0f}")
    why = f" ({link.label})" if link.label else ""
    dashes = ' stroke-dasharray="5 3"' if link.kind == "link" else ""
    return (f'<path d="{path}" class="edge {link.kind}" fill="none" stroke-width="1.3" '
            f'stroke="{_COLOURS[link.kind]}" opacity="0.7"{dashes} '
            f'marker-end="url(#arrow-{link.kind})">'
            f"<title>{escape(link.source)} {link.kind} {escape(link.target)}{escape(why)}"
            "</title></path>")


def _flow_section(content: Content, flow: FlowSpec, all_links: list[Link],
                  starts: list[str]) -> str:
    out = [link for link in all_links if link.source == flow.id]
    into = [link for link in all_links if link.target == flow.id]
    parts = [
        f'<section class="flow" id="flow-{escape(flow.id)}">',
        f"<h3>{escape(flow.id)}: {escape(flow.title)}</h3>",
        f'<p class="where">{escape(flow.file)}' + (f":{flow.line}" if flow.line else "") + "</p>",
    ]
    if flow.description:
        parts.append(f"<p>{escape(flow.description)}</p>")
    if starts:
        parts.append("<p><b>Starts with:</b> " + ", ".join(escape(s) for s in starts) + "</p>")
    if into:
        parts.append("<p><b>Comes from:</b> " + ", ".join(
            f'<a href="#step-{escape(link.source)}-{escape(link.step)}">{escape(link.source)}</a>'
            f" ({link.kind}{_because(link)})" for link in into) + "</p>")
    if out:
        parts.append("<p><b>Leads to:</b> " + ", ".join(
            f'<a href="#flow-{escape(link.target)}">{escape(link.target)}</a>'
            f" ({link.kind}{_because(link)})" for link in out) + "</p>")
    parts.append("<ol class=\"steps\">")
    for index, step in enumerate(flow.steps):
        following = flow.steps[index + 1].id if index + 1 < len(flow.steps) else END
        parts.append(_step_item(content, flow, step, following))
    parts += ["</ol>", '<p class="top"><a href="#">&#8593; overview</a></p>', "</section>"]
    return "\n".join(parts)


def _step_item(content: Content, flow: FlowSpec, step: StepSpec, following: str) -> str:
    parts = [f'<li id="step-{escape(flow.id)}-{escape(step.id)}" class="step {step.kind}">',
             f'<span class="sid">{escape(step.id)}</span> <span class="kind">{step.kind}</span>']
    if step.collect:
        parts.append(f' <span class="slot">&#8594; {escape(step.collect)}</span>')
    parts += [f'<p class="say">{escape(text)}</p>' for text in step.texts]
    if step.buttons or step.skippable:
        titles = [f'<span class="button" title="value: {escape(b.value)}">{escape(b.title)}'
                  "</span>" for b in step.buttons]
        if step.skippable:
            titles.append(f'<span class="button">{escape(content.text("skip_button"))}</span>')
        parts.append('<p class="buttons">' + " ".join(titles) + "</p>")
    if step.kind == "set":
        parts.append("<p>set " + ", ".join(f"{escape(k)} = {escape(str(v))}"
                                           for k, v in step.values.items()) + "</p>")
    if step.kind == "action":
        params = ", ".join(f"{escape(k)}: {escape(str(v))}" for k, v in step.params.items())
        parts.append(f"<p>action <code>{escape(step.action or '')}</code> {params}</p>")
    if step.kind in {"call", "link"} and step.flow_target:
        target = escape(step.flow_target)
        parts.append(f'<p>{step.kind} <a href="#flow-{target}">{target}</a></p>')
    parts.append(_next_item(flow, step, following))
    parts.append("</li>")
    return "\n".join(parts)


def _next_item(flow: FlowSpec, step: StepSpec, following: str) -> str:
    if step.kind == "link":
        return ""
    branches = [(f"if {b.condition.source}" if b.condition else "else", b.target)
                for b in step.next]
    if len(branches) == 1 and branches[0][0] == "else":
        branches = [("", branches[0][1])]
    if not step.next or step.next[-1].condition is not None:
        branches.append(("else" if step.next else "", following))
    rendered = []
    for condition, target in branches:
        where = ("end of flow" if target == END
                 else f'<a href="#step-{escape(flow.id)}-{escape(target)}">{escape(target)}</a>')
        rendered.append(f"{escape(condition)} &#8594; {where}" if condition
                        else f"&#8594; {where}")
    return '<p class="next">' + "; ".join(rendered) + "</p>"


def _reason(flow: FlowSpec, step_id: str) -> str:
    """What leads to this step: the title of the button whose value the branch tests."""
    for step in flow.steps:
        for branch in step.next:
            if branch.target != step_id or branch.condition is None:
                continue
            titles = [b.title for b in _buttons_of(flow, branch.condition.slots)
                      if f'"{b.value}"' in branch.condition.source
                      or f"'{b.value}'" in branch.condition.source]
            return f"button '{titles[0]}'" if titles else branch.condition.source
    return ""


def _buttons_of(flow: FlowSpec, slots: frozenset[str]) -> list[ButtonSpec]:
    return [b for s in flow.steps if s.collect in slots for b in s.buttons]


def _because(link: Link) -> str:
    return f", {escape(link.label)}" if link.label else ""


def _short(text: str) -> str:
    return text if len(text) <= LABEL_MAX else text[: LABEL_MAX - 1] + "…"


_CSS = """
body{font-family:system-ui,sans-serif;margin:2rem;max-width:80rem;color:#222;line-height:1.4}
h1{font-size:1.6rem}h3{margin-bottom:.2rem}
svg.overview{border:1px solid #ccc;background:#fcfcfc;max-width:none}
svg a:hover rect{fill:#c9dcfc}svg a:hover text{text-decoration:underline}
.legend .call{color:#4a6fa5}.legend .link{color:#b05a00}
.index{columns:3}.flow{border-top:2px solid #4a6fa5;margin-top:2rem}
.where{color:#666;font-size:.85rem;margin:0}
.steps li{margin:.6rem 0}.sid{font-weight:bold}.kind{color:#666;font-size:.8rem}
.slot{color:#4a6fa5;font-size:.85rem}
.say{white-space:pre-wrap;background:#f3f3f3;border-radius:8px;padding:.3rem .6rem;margin:.2rem 0}
.button{display:inline-block;border:1px solid #4a6fa5;border-radius:12px;padding:0 .5rem;
margin:.1rem;font-size:.9rem}
.next{color:#555;font-size:.85rem;margin:.1rem 0}.top{font-size:.8rem}
"""
