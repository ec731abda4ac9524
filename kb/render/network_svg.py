"""The regimen and citation networks drawn as hand-written, deterministic SVG: the regimen network labels
its head-to-head comparisons and sequences, and says why a regimen stands alone."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import networkx as nx

from kb.analysis.network import CITES, HEAD_TO_HEAD, SEQUENCE, SUMMARIZES
from kb.namespaces import ID_IRI
from kb.render.markup import escape
from kb.render.svg import coordinate, wrap

_EDGE_STYLE: dict[str, tuple[str, str, str]] = {  # kind -> (colour, width, dash pattern)
    HEAD_TO_HEAD: ("#1f4e79", "2.0", ""),
    SEQUENCE: ("#a0461a", "2.0", "7 4"),
    CITES: ("#6b6b6b", "0.8", ""),
    SUMMARIZES: ("#6b6b6b", "0.8", "2 3"),
}
_OTHER_EDGE = ("#444444", "1.0", "")
_KIND_MEANINGS = {  # what the legend says an edge of each kind is
    HEAD_TO_HEAD: "head-to-head comparison in one study (arrow: from the arm to its comparator)",
    SEQUENCE: "sequence (arrow: from the regimen a cohort had to the one it received next)",
}
_NODE_COLOURS = ("#4c78a8", "#f58518", "#54a24b", "#b279a2", "#e45756", "#72b7b2", "#9d755d", "#bab0ac")
_NODE_RADIUS = 7.0
_LABEL_WIDTH = {"radial": 230.0, "horizontal": 300.0, "centre": 300.0}  # px; longer labels wrap, whole
_FONT_SIZE = 11
_EDGE_LABEL_WIDTH = 260.0
_LINE_H = 13.0
# The white outline that keeps a label legible over the edges it crosses: a copy of the text drawn first
# (rather than paint-order, which not every SVG renderer, CairoSVG among them, follows).
_HALO = 'fill="none" stroke="#ffffff" stroke-width="3" stroke-linejoin="round" aria-hidden="true"'
_HORIZONTAL_LABELS_UP_TO = 12


@dataclass(frozen=True)
class _Layout:
    """Where each node is drawn: the hub (if any) at the centre, the others on a ring around it."""

    nodes: list[Any]  # every node, in sorted order
    hub: Any | None
    position: dict[Any, tuple[float, float]]
    centre: tuple[float, float]
    placement: str  # of the ring's labels: "radial" when the ring is crowded, else "horizontal"


def to_svg(graph: nx.Graph, title: str, *, width: int = 1100, height: int = 1100) -> str:
    """A deterministic SVG drawing: nodes on a circle in sorted order, edges styled by their kind.

    A node linked to at least half of the others (the letter in the citation network) is drawn at
    the centre. Every node and edge carries a <title> sentence (its `description` where it has one).
    """
    layout = _layout(graph, width, height)
    node_groups = sorted({_node_group(graph.nodes[n]) for n in layout.nodes})
    colour = {group: _NODE_COLOURS[i % len(_NODE_COLOURS)] for i, group in enumerate(node_groups)}
    kinds = sorted({str(data.get("kind", "")) for *_, data in _edges(graph)})
    out = _head(title, kinds, width, height)
    out += _edge_elements(graph, layout)
    out += _node_elements(graph, layout, colour)
    out += _legend(kinds, node_groups, colour, height)
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _layout(graph: nx.Graph, width: int, height: int) -> _Layout:
    nodes = sorted(graph.nodes, key=str)
    cx, cy = width / 2, height / 2 + 20
    radius = max(min(width, height) / 2 - 270, 60.0)
    hub = _hub(graph, nodes)
    ring = [node for node in nodes if node != hub]
    position = {node: _on_circle(i, len(ring), cx, cy, radius) for i, node in enumerate(ring)}
    if hub is not None:
        position[hub] = (round(cx, 1), round(cy, 1))
    placement = "radial" if len(ring) > _HORIZONTAL_LABELS_UP_TO else "horizontal"
    return _Layout(nodes, hub, position, (cx, cy), placement)


def _head(title: str, kinds: list[str], width: int, height: int) -> list[str]:
    """The opening tag, the title, an arrow marker per edge kind, the background and the heading."""
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="graph-title" '
        'font-family="Helvetica, Arial, sans-serif">',
        f'<title id="graph-title">{escape(title)}</title>',
        "<defs>",
    ]
    for kind in kinds:
        stroke = _EDGE_STYLE.get(kind, _OTHER_EDGE)[0]
        out.append(
            f'<marker id="{_marker_id(kind)}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" '
            f'markerHeight="8" markerUnits="userSpaceOnUse" orient="auto">'
            f'<path d="M 0 0 L 10 5 L 0 10 z" fill="{stroke}"/></marker>'
        )
    out += ["</defs>", f'<rect width="{width}" height="{height}" fill="#ffffff"/>']
    out.append(
        f'<text x="{_n(width / 2)}" y="28.0" text-anchor="middle" font-size="18">{escape(title)}</text>'
    )
    return out


def _edge_elements(graph: nx.Graph, layout: _Layout) -> list[str]:
    """Each edge as a curve with its arrow and <title>; parallel edges fan apart. A head-to-head comparison
    and a sequence are labelled at the curve's middle with what they are and their study or cohort."""
    out = ['<g class="edges" fill="none">']
    parallel: dict[frozenset[Any], list[tuple[Any, Any]]] = defaultdict(list)
    for u, v, _, _ in _edges(graph):
        parallel[frozenset((u, v))].append((u, v))
    seen: dict[frozenset[Any], int] = defaultdict(int)
    for u, v, _, data in _edges(graph):
        pair = frozenset((u, v))
        index, count = seen[pair], len(parallel[pair])
        seen[pair] += 1
        kind = str(data.get("kind", ""))
        stroke, stroke_width, dash = _EDGE_STYLE.get(kind, _OTHER_EDGE)
        sentence = data.get("description") or f"{_label(graph, u)} is linked to {_label(graph, v)} ({kind})."
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        start, end = layout.position[u], layout.position[v]
        path, (mx, my) = _edge_path(start, end, (index - (count - 1) / 2) * 26.0, u == v, u, v)
        label = _edge_label(kind, data)
        text = ""
        if label:
            lines = wrap(label, _EDGE_LABEL_WIDTH, _FONT_SIZE)
            top = my - 6 - (len(lines) - 1) * _LINE_H  # just above the curve's middle
            text = (
                f'<g class="edge-label" fill="{stroke}" stroke="none" font-size="{_FONT_SIZE}">'
                f"{_text_lines(mx, top, lines, 'middle')}</g>"
            )
        out.append(
            f'<g class="edge {escape(kind)}"><title>{escape(str(sentence))}</title>'
            f'<path d="{path}" stroke="{stroke}" stroke-width="{stroke_width}"{dash_attr} '
            f'marker-end="url(#{_marker_id(kind)})"/>{text}</g>'
        )
    out.append("</g>")
    return out


def _edge_label(kind: str, data: dict[str, Any]) -> str:
    """What a regimen network's edge shows: "head-to-head comparison: POLLUX (MMY3003)", "sequence: Athens
    case series" (the study or cohort label up to its first colon); other edges have none."""
    if kind == HEAD_TO_HEAD:
        where = str(data.get("study_label", "")).split(": ")[0]
        return f"head-to-head comparison: {where}" if where else "head-to-head comparison"
    if kind == SEQUENCE:
        where = str(data.get("cohort_label", "")).split(": ")[0]
        return f"sequence: {where}" if where else "sequence"
    return ""


def _node_elements(graph: nx.Graph, layout: _Layout, colour: dict[str, str]) -> list[str]:
    """Each node as a circle coloured by its group, with its <title> and its label wrapped whole; a node
    with no link says why it stands alone, in its title and its label."""
    out = [f'<g class="nodes" font-size="{_FONT_SIZE}">']
    cx, cy = layout.centre
    for node in layout.nodes:
        data = graph.nodes[node]
        x, y = layout.position[node]
        sentence = str(data.get("description") or f"{_label(graph, node)}.")
        placement = "centre" if node == layout.hub else layout.placement
        text = _label(graph, node)
        alone = _why_alone(graph, node)
        if alone:
            text += f" ({alone[0]})"
            sentence += f" {alone[1]}"
        lines = wrap(text, _LABEL_WIDTH[placement], _FONT_SIZE)
        css = "node alone" if alone else "node"
        element = (
            f'<g class="{css}"><title>{escape(sentence)}</title>'
            f'<circle cx="{_n(x)}" cy="{_n(y)}" r="{_n(_NODE_RADIUS)}" '
            f'fill="{colour[_node_group(data)]}" stroke="#333333" stroke-width="0.8"/>'
            f"{_node_text(x, y, cx, cy, lines, placement)}</g>"
        )
        url = _node_url(node, data)
        out.append(f'<a href="{escape(url)}">{element}</a>' if url else element)
    out.append("</g>")
    return out


def _node_url(node: Any, data: dict[str, Any]) -> str:
    """Where a node is followed: a publication's DOI at doi.org, else its PMID at PubMed, else a curated
    record's own IRI (which the service dereferences at /id/NAME); "" for none."""
    url = data.get("doi_url") or data.get("pubmed_url")
    if url:
        return str(url)
    return str(node) if str(node).startswith(ID_IRI) else ""


def _why_alone(graph: nx.Graph, node: Any) -> tuple[str, str] | None:
    """Why a node has no link, as a short label and a sentence; None when it has one."""
    if graph.degree(node):
        return None
    if graph.nodes[node].get("kind") == "regimen":
        return (
            "single-arm: no comparison",
            "It stands alone: no study compares it head-to-head with another regimen (its studies have no "
            "randomized comparator arm) and no cohort received it before or after another regimen.",
        )
    return "no link", "It stands alone: it has no link to another node here."


def _hub(graph: nx.Graph, nodes: list[Any]) -> Any | None:
    if len(nodes) < 4:
        return None
    degree = {node: len(set(nx.all_neighbors(graph, node)) - {node}) for node in nodes}
    top = max(nodes, key=lambda node: degree[node])
    return top if 2 * degree[top] >= len(nodes) - 1 else None


def _node_text(x: float, y: float, cx: float, cy: float, lines: list[str], placement: str) -> str:
    """A label outside the circle, one <text> per line, each over its white halo: along the radius when the
    ring is crowded, else horizontal."""
    if placement == "centre":
        return _text_lines(x + 12, y + 4, lines, "start")
    angle = math.atan2(y - cy, x - cx)
    lx, ly = x + math.cos(angle) * 12, y + math.sin(angle) * 12
    if placement == "radial":
        right = math.cos(angle) >= 0
        degrees = math.degrees(angle) if right else math.degrees(angle) + 180
        block = _text_lines(lx, ly + 4, lines, "start" if right else "end")
        return f'<g transform="rotate({_n(degrees)} {_n(lx)} {_n(ly)})">{block}</g>'
    anchor = "middle" if abs(math.cos(angle)) < 0.05 else ("start" if math.cos(angle) > 0 else "end")
    if math.sin(angle) > 0.95:  # below the node
        top = ly + 12
    elif math.sin(angle) < -0.95:  # above it: the lines end just over the circle
        top = ly - 4 - (len(lines) - 1) * _LINE_H
    else:
        top = ly + 4
    return _text_lines(lx, top, lines, anchor)


def _text_lines(x: float, y: float, lines: list[str], anchor: str) -> str:
    """Lines of text from baseline y down, each drawn over a white halo."""
    out = []
    for i, line in enumerate(lines):
        at = f'x="{_n(x)}" y="{_n(y + i * _LINE_H)}" text-anchor="{anchor}"'
        out.append(f'<text class="halo" {at} {_HALO}>{escape(line)}</text><text {at}>{escape(line)}</text>')
    return "".join(out)


def _edges(graph: nx.Graph) -> list[tuple[Any, Any, str, dict[str, Any]]]:
    if graph.is_multigraph():
        edges = [(u, v, str(k), d) for u, v, k, d in graph.edges(keys=True, data=True)]
    else:
        edges = [(u, v, "", d) for u, v, d in graph.edges(data=True)]
    return sorted(edges, key=lambda e: (str(e[0]), str(e[1]), e[2]))


def _on_circle(index: int, count: int, cx: float, cy: float, radius: float) -> tuple[float, float]:
    if count == 1:
        return cx, cy
    angle = 2 * math.pi * index / count - math.pi / 2
    return round(cx + radius * math.cos(angle), 1), round(cy + radius * math.sin(angle), 1)


def _edge_path(
    start: tuple[float, float], end: tuple[float, float], offset: float, loop: bool, u: Any, v: Any
) -> tuple[str, tuple[float, float]]:
    """The curve of an edge, and the point at its middle."""
    (x1, y1), (x2, y2) = start, end
    r = _NODE_RADIUS
    if loop:
        path = (
            f"M {_n(x1 - 3)} {_n(y1 - r)} C {_n(x1 - 28 - offset)} {_n(y1 - 48 - offset)} "
            f"{_n(x1 + 28 + offset)} {_n(y1 - 48 - offset)} {_n(x1 + 3)} {_n(y1 - r - 1)}"
        )
        return path, (x1, y1 - 44 - offset)
    # The normal is taken from the pair in sorted order, so that edges in both directions fan apart.
    (ax, ay), (bx, by) = (start, end) if str(u) <= str(v) else (end, start)
    length = math.hypot(bx - ax, by - ay) or 1.0
    px, py = -(by - ay) / length, (bx - ax) / length
    qx, qy = (x1 + x2) / 2 + 2 * offset * px, (y1 + y2) / 2 + 2 * offset * py
    sx, sy = _towards((x1, y1), (qx, qy), r)
    ex, ey = _towards((x2, y2), (qx, qy), r + 1.5)
    middle = (0.25 * sx + 0.5 * qx + 0.25 * ex, 0.25 * sy + 0.5 * qy + 0.25 * ey)
    return f"M {_n(sx)} {_n(sy)} Q {_n(qx)} {_n(qy)} {_n(ex)} {_n(ey)}", middle


def _towards(point: tuple[float, float], target: tuple[float, float], distance: float) -> tuple[float, float]:
    (x, y), (tx, ty) = point, target
    length = math.hypot(tx - x, ty - y) or 1.0
    return x + (tx - x) / length * distance, y + (ty - y) / length * distance


def _legend(kinds: list[str], groups: list[str], colour: dict[str, str], height: int) -> list[str]:
    out = ['<g class="legend" font-size="11">']
    y = height - 16.0 * (len(kinds) + len(groups)) - 10
    for kind in kinds:
        stroke, stroke_width, dash = _EDGE_STYLE.get(kind, _OTHER_EDGE)
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(
            f'<line x1="16.0" y1="{_n(y)}" x2="46.0" y2="{_n(y)}" stroke="{stroke}" '
            f'stroke-width="{stroke_width}"{dash_attr}/>'
            f'<text x="54.0" y="{_n(y + 4)}">{escape(_KIND_MEANINGS.get(kind, kind or "link"))}</text>'
        )
        y += 16
    for group in groups:
        out.append(
            f'<circle cx="31.0" cy="{_n(y)}" r="5.0" fill="{colour[group]}" '
            'stroke="#333333" stroke-width="0.8"/>'
            f'<text x="54.0" y="{_n(y + 4)}">{escape(group)}</text>'
        )
        y += 16
    out.append("</g>")
    return out


def _node_group(data: dict[str, Any]) -> str:
    return str(data.get("type") or data.get("kind") or "node")


def _marker_id(kind: str) -> str:
    return "arrow-" + ("".join(c if c.isalnum() else "-" for c in kind) or "link")


def _label(graph: nx.Graph, node: Any) -> str:
    return str(graph.nodes[node].get("label", node))


def _n(value: float) -> str:
    return coordinate(value, 1)
