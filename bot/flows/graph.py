"""Mermaid diagrams of every flow, generated from content/ (`wegwijs content graph`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from bot.flows.loader import load_flows
from bot.flows.model import END, Content, FlowSpec, StepSpec

LABEL_MAX = 48


def _escape(text: str) -> str:
    return (
        text.replace("&", "&amp;")
        .replace('"', "#quot;")
        .replace("|", "#124;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\n", " ")
    )


def _short(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= LABEL_MAX else flat[: LABEL_MAX - 1] + "…"


def _node(step_id: str) -> str:
    return f"s_{step_id}"


def _label(step: StepSpec) -> str:
    if step.kind in {"say", "ask"}:
        head = f"{step.id} ({step.kind}" + (f" → {step.collect})" if step.collect else ")")
        return f"{head}<br/>{_escape(_short(step.texts[-1] if step.texts else ''))}"
    if step.kind == "action":
        params = ", ".join(f"{k}={v}" for k, v in step.params.items())
        return f"{step.id}: {step.action}" + (f"<br/>{_escape(_short(params))}" if params else "")
    if step.kind == "set":
        return f"{step.id}: set {', '.join(step.values)}"
    if step.kind in {"call", "link"}:
        return f"{step.id}: {step.kind} {step.flow_target}"
    return f"{step.id}"


def _shape(step: StepSpec) -> tuple[str, str]:
    return {
        "ask": ("[/", "/]"),
        "action": ("[[", "]]"),
        "noop": ("{{", "}}"),
        "call": ("([", "])"),
        "link": ("([", "])"),
    }.get(step.kind, ("[", "]"))


def render_flow(flow: FlowSpec) -> str:
    """One Mermaid flowchart for one flow."""
    lines = ["flowchart TD", f'  START(("{_escape(flow.id)}"))']
    ends = False
    if flow.steps:
        lines.append(f"  START --> {_node(flow.steps[0].id)}")
    for index, step in enumerate(flow.steps):
        left, right = _shape(step)
        lines.append(f'  {_node(step.id)}{left}"{_label(step)}"{right}')
        if step.kind in {"call", "link"} and step.flow_target:
            target = f"f_{step.flow_target}"
            lines.append(f'  {target}[["{_escape(step.flow_target)}"]]')
            lines.append(f"  {_node(step.id)} -.-> {target}")
            if step.kind == "link":
                continue
        for branch in step.next:
            label = "else" if branch.condition is None else branch.condition.source
            ends |= branch.target == END
            target = "END" if branch.target == END else _node(branch.target)
            arrow = f" -->|{_escape(label)}| " if len(step.next) > 1 else " --> "
            lines.append(f"  {_node(step.id)}{arrow}{target}")
        if not step.next or step.next[-1].condition is not None:
            following = flow.steps[index + 1].id if index + 1 < len(flow.steps) else None
            ends |= following is None
            lines.append(f"  {_node(step.id)} --> {_node(following) if following else 'END'}")
    if ends:
        lines.append("  END((einde))")
    return "\n".join(lines)


def render_all(content: Content | Mapping[str, FlowSpec]) -> str:
    """A Markdown page with a Mermaid diagram for every flow, grouped by file."""
    flows = content.flows if isinstance(content, Content) else content
    by_file: dict[str, list[FlowSpec]] = {}
    for flow in flows.values():
        by_file.setdefault(flow.file, []).append(flow)
    parts = [
        "# Flows",
        "",
        "Generated from `content/flows/` by `wegwijs content graph`; do not edit by hand.",
        "Shapes: parallelogram = question, double box = action, hexagon = branch, "
        "rounded = call/link to another flow.",
        "",
    ]
    for file in sorted(by_file):
        parts += [f"## {file}", ""]
        for flow in by_file[file]:
            parts += [f"### {flow.id}: {flow.title}", ""]
            if flow.description:
                parts += [flow.description, ""]
            parts += ["```mermaid", render_flow(flow), "```", ""]
    return "\n".join(parts)


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: print (or write with --out) the diagrams of the flows in a content directory."""
    parser = argparse.ArgumentParser(
        prog="wegwijs content graph", description="Mermaid diagrams of every flow"
    )
    parser.add_argument("--content", type=Path, default=Path("content"))
    parser.add_argument("--out", type=Path, default=None, help="write to this file (Markdown)")
    args = parser.parse_args(argv)
    flows, problems = load_flows(args.content)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        sys.stderr.write("\n".join(p.render() for p in errors) + "\n")
        return 1
    page = render_all(flows)
    if args.out is None:
        sys.stdout.write(page)
    else:
        args.out.write_text(page, encoding="utf-8")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
