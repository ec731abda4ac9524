"""The regimen and citation networks drawn as hand-written, deterministic SVG."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import networkx as nx

from kb.analysis.network import CITES, HEAD_TO_HEAD, SEQUENCE, SUMMARIZES
from kb.render.markup import escape
from kb.render.svg import coordinate

_EDGE_STYLE: dict[str, tuple[str, str, str]] = {  # kind -> (colour, width, dash pattern)
    HEAD_TO_HEAD: ("#1f4e79", "2.0", ""),
    SEQUENCE: ("#a0461a", "2.0", "7 4"),
    CITES: ("#6b6b6b", "0.8", ""),
    SUMMARIZES: ("#6b6b6b", "0.8", "2 3"),
}
_OTHER_EDGE = ("#444444", "1.0", "")
_NODE_COLOURS = ("#4c78a8", "#f58518", "#54a24b", "#b279a2", "#e45756", "#72b7b2", "#9d755d", "#bab0ac")
_NODE_RADIUS = 7.0
_LABEL_CHARS = {"radial": 36, "horizontal": 48, "centre": 48}  # longer labels end in an ellipsis
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
    """Each edge as a curve with its arrow and <title>; parallel edges fan apart."""
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
        path = _edge_path(start, end, (index - (count - 1) / 2) * 26.0, u == v, u, v)
        out.append(
            f'<g class="edge {escape(kind)}"><title>{escape(str(sentence))}</title>'
            f'<path d="{path}" stroke="{stroke}" stroke-width="{stroke_width}"{dash_attr} '
            f'marker-end="url(#{_marker_id(kind)})"/></g>'
        )
    out.append("</g>")
    return out


def _node_elements(graph: nx.Graph, layout: _Layout, colour: dict[str, str]) -> list[str]:
    """Each node as a circle coloured by its group, with its <title> and its (shortened) label."""
    out = ['<g class="nodes" font-size="11">']
    cx, cy = layout.centre
    for node in layout.nodes:
        data = graph.nodes[node]
        x, y = layout.position[node]
        sentence = data.get("description") or f"{_label(graph, node)}."
        placement = "centre" if node == layout.hub else layout.placement
        text = _label(graph, node)
        limit = _LABEL_CHARS[placement]
        if len(text) > limit:
            text = text[: limit - 1].rstrip() + "\u2026"
        out.append(
            f'<g class="node"><title>{escape(str(sentence))}</title>'
            f'<circle cx="{_n(x)}" cy="{_n(y)}" r="{_n(_NODE_RADIUS)}" '
            f'fill="{colour[_node_group(data)]}" stroke="#333333" stroke-width="0.8"/>'
            f"{_node_text(x, y, cx, cy, escape(text), placement)}</g>"
        )
    out.append("</g>")
    return out


def _hub(graph: nx.Graph, nodes: list[Any]) -> Any | None:
    if len(nodes) < 4:
        return None
    degree = {node: len(set(nx.all_neighbors(graph, node)) - {node}) for node in nodes}
    top = max(nodes, key=lambda node: degree[node])
    return top if 2 * degree[top] >= len(nodes) - 1 else None


def _node_text(x: float, y: float, cx: float, cy: float, text: str, placement: str) -> str:
    """A label outside the circle: along the radius when the ring is crowded, else horizontal."""
    halo = 'paint-order="stroke" stroke="#ffffff" stroke-width="3"'
    if placement == "centre":
        return f'<text x="{_n(x + 12)}" y="{_n(y + 4)}" text-anchor="start" {halo}>{text}</text>'
    angle = math.atan2(y - cy, x - cx)
    lx, ly = x + math.cos(angle) * 12, y + math.sin(angle) * 12
    if placement == "radial":
        right = math.cos(angle) >= 0
        degrees = math.degrees(angle) if right else math.degrees(angle) + 180
        return (
            f'<text x="{_n(lx)}" y="{_n(ly + 4)}" text-anchor="{"start" if right else "end"}" '
            f'transform="rotate({_n(degrees)} {_n(lx)} {_n(ly)})" {halo}>{text}</text>'
        )
    anchor = "middle" if abs(math.cos(angle)) < 0.05 else ("start" if math.cos(angle) > 0 else "end")
    shift = 12 if math.sin(angle) > 0.95 else (-4 if math.sin(angle) < -0.95 else 4)
    return f'<text x="{_n(lx)}" y="{_n(ly + shift)}" text-anchor="{anchor}" {halo}>{text}</text>'


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
) -> str:
    (x1, y1), (x2, y2) = start, end
    r = _NODE_RADIUS
    if loop:
        return (
            f"M {_n(x1 - 3)} {_n(y1 - r)} C {_n(x1 - 28 - offset)} {_n(y1 - 48 - offset)} "
            f"{_n(x1 + 28 + offset)} {_n(y1 - 48 - offset)} {_n(x1 + 3)} {_n(y1 - r - 1)}"
        )
    # The normal is taken from the pair in sorted order, so that edges in both directions fan apart.
    (ax, ay), (bx, by) = (start, end) if str(u) <= str(v) else (end, start)
    length = math.hypot(bx - ax, by - ay) or 1.0
    px, py = -(by - ay) / length, (bx - ax) / length
    qx, qy = (x1 + x2) / 2 + 2 * offset * px, (y1 + y2) / 2 + 2 * offset * py
    sx, sy = _towards((x1, y1), (qx, qy), r)
    ex, ey = _towards((x2, y2), (qx, qy), r + 1.5)
    return f"M {_n(sx)} {_n(sy)} Q {_n(qx)} {_n(qy)} {_n(ex)} {_n(ey)}"


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
            f'<text x="54.0" y="{_n(y + 4)}">{escape(kind or "link")}</text>'
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
