"""Network views: regimens linked by comparisons and sequences, publications linked by citations."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

import networkx as nx
from rdflib.term import Literal, Node, URIRef

from kb.namespaces import MM
from kb.queries import query_text

if TYPE_CHECKING:
    from kb.knowledge_base import KnowledgeBase

HEAD_TO_HEAD = "head-to-head"
SEQUENCE = "sequence"
CITES = "cites"
SUMMARIZES = "summarizes"

COMPARATIVE_DESIGNS: tuple[URIRef, ...] = (MM.RandomizedPhase3,)

# Regimens are conventionally named with the steroid last ("daratumumab + lenalidomide + dexamethasone").
_NAMED_LAST = MM.Corticosteroid


# ---------------------------------------------------------------- regimen network


@dataclass
class _Regimen:
    label: str = ""
    drugs: dict[str, str] = field(default_factory=dict)  # drug IRI -> label
    drug_class: dict[str, str] = field(default_factory=dict)  # drug IRI -> class IRI
    classes: dict[str, str] = field(default_factory=dict)  # class IRI -> label
    abbreviations: set[str] = field(default_factory=set)
    studies: dict[str, str] = field(default_factory=dict)  # study IRI -> label


def regimen_network(kb: KnowledgeBase, designs: Iterable[URIRef] = COMPARATIVE_DESIGNS) -> nx.MultiDiGraph:
    """Regimens merged by drug composition, with head-to-head and sequence edges.

    Head-to-head edges join the regimens of two arms of one study whose design is in `designs`,
    oriented from the arm a hazard ratio is about to its comparator. Sequence edges go from a
    cohort's prior regimen to the regimen it then received.
    """
    graph = nx.MultiDiGraph(name="regimen network")
    node_of = _add_regimen_nodes(graph, kb.select(query_text("regimen-network")))
    _add_head_to_head(
        graph, node_of, kb.select(query_text("network-head-to-head"), {"design": list(designs)})
    )
    _add_sequences(graph, node_of, kb.select(query_text("network-regimen-sequences")))
    return graph


def _add_regimen_nodes(graph: nx.MultiDiGraph, rows: list[dict[str, Node]]) -> dict[str, str]:
    """Add one node per drug composition; return the node of each regimen IRI."""
    regimens: dict[str, _Regimen] = defaultdict(_Regimen)
    for row in rows:
        regimen = regimens[str(row["regimen"])]
        regimen.label = str(row["label"])
        drug = str(row["drug"])
        regimen.drugs[drug] = str(row["drugLabel"])
        if "class" in row:
            regimen.drug_class[drug] = str(row["class"])
            regimen.classes[str(row["class"])] = str(row["classLabel"])
        if "abbreviation" in row:
            regimen.abbreviations.add(str(row["abbreviation"]))
        if "study" in row:
            regimen.studies[str(row["study"])] = str(row.get("studyLabel", row["study"]))

    by_composition: dict[frozenset[str], list[str]] = defaultdict(list)
    for iri in sorted(regimens):
        by_composition[frozenset(regimens[iri].drugs)].append(iri)

    node_of: dict[str, str] = {}
    for composition in sorted(by_composition, key=sorted):
        members = [regimens[iri] for iri in by_composition[composition]]
        drugs: dict[str, str] = {}
        drug_class: dict[str, str] = {}
        classes: dict[str, str] = {}
        studies: dict[str, str] = {}
        abbreviations: set[str] = set()
        for member in members:
            drugs |= member.drugs
            drug_class |= member.drug_class
            classes |= member.classes
            studies |= member.studies
            abbreviations |= member.abbreviations
        named = sorted(drugs, key=lambda d: (drug_class.get(d) == str(_NAMED_LAST), drugs[d]))
        label = " + ".join(drugs[d] for d in named)
        node = "regimen:" + "+".join(sorted(_local_name(d) for d in drugs))
        also = f" ({', '.join(sorted(abbreviations))})" if abbreviations else ""
        graph.add_node(
            node,
            kind="regimen",
            label=label,
            drugs=sorted(drugs.values()),
            drug_classes=sorted(classes.values()),
            abbreviations=sorted(abbreviations),
            regimens=by_composition[composition],
            regimen_labels=[m.label for m in members],
            studies=sorted(studies),
            description=(
                f"The regimen {label}{also}, recorded as {_count(len(members), 'regimen')} "
                f"in {_count(len(studies), 'study', 'studies')}."
            ),
        )
        for iri in by_composition[composition]:
            node_of[iri] = node
    return node_of


def _add_head_to_head(graph: nx.MultiDiGraph, node_of: dict[str, str], rows: list[dict[str, Node]]) -> None:
    hazard_ratios: dict[tuple[str, ...], set[str]] = defaultdict(set)
    first: dict[tuple[str, ...], dict[str, Node]] = {}
    for row in rows:
        pair = tuple(str(row[k]) for k in ("arm", "regimen", "comparator", "comparatorRegimen"))
        first.setdefault(pair, row)
        if "hazardRatio" in row:
            hazard_ratios[pair].add(str(row["hazardRatio"]))
    for pair in sorted(first):
        row = first[pair]
        arm, regimen, comparator, comparator_regimen = pair
        source, target = node_of[regimen], node_of[comparator_regimen]
        claims = sorted(hazard_ratios[pair])
        extra = {"hazard_ratios": claims} if claims else {}
        with_claims = f", with {_count(len(claims), 'hazard-ratio claim')}" if claims else ""
        graph.add_edge(
            source,
            target,
            key=f"{HEAD_TO_HEAD}|{arm}|{regimen}|{comparator}|{comparator_regimen}",
            kind=HEAD_TO_HEAD,
            study=str(row["study"]),
            study_label=str(row["studyLabel"]),
            design=str(row["design"]),
            design_label=str(row["designLabel"]),
            arm=arm,
            comparator_arm=comparator,
            description=(
                f"In {row['studyLabel']}, the arm given {graph.nodes[source]['label']} was compared "
                f"head to head with the arm given {graph.nodes[target]['label']}{with_claims}."
            ),
            **extra,
        )


def _add_sequences(graph: nx.MultiDiGraph, node_of: dict[str, str], rows: list[dict[str, Node]]) -> None:
    for row in sorted(rows, key=lambda r: (str(r["cohort"]), str(r["prior"]), str(r["received"]))):
        cohort, prior, received = str(row["cohort"]), str(row["prior"]), str(row["received"])
        source, target = node_of[prior], node_of[received]
        study = {"study": str(row["study"]), "study_label": str(row.get("studyLabel", row["study"]))}
        graph.add_edge(
            source,
            target,
            key=f"{SEQUENCE}|{cohort}|{prior}|{received}",
            kind=SEQUENCE,
            cohort=cohort,
            cohort_label=str(row["cohortLabel"]),
            prior_regimen=prior,
            received_regimen=received,
            description=(
                f"The patients of {row['cohortLabel']} received {graph.nodes[source]['label']} "
                f"and then {graph.nodes[target]['label']}."
            ),
            **(study if "study" in row else {}),
        )


# ---------------------------------------------------------------- citation network


def citation_network(kb: KnowledgeBase) -> nx.DiGraph:
    """Publications, with citing -> cited edges from mm:Citation records and summary -> summarized edges.

    A work that one publication cites under several numbers keeps the lowest number on its edge.
    """
    graph = nx.DiGraph(name="citation network")
    for iri, attributes in sorted(_publications(kb.select(query_text("network-publications"))).items()):
        graph.add_node(iri, **attributes)
    rows = kb.select(query_text("citation-network"))
    for row in sorted(rows, key=lambda r: (str(r["source"]), str(r["target"]), _number(r) or 0)):
        source, target, kind = str(row["source"]), str(row["target"]), str(row["kind"])
        for node in (source, target):
            if node not in graph:
                graph.add_node(node, kind="publication", label=node, description=f"The publication {node}.")
        if graph.has_edge(source, target):
            continue
        source_label, target_label = graph.nodes[source]["label"], graph.nodes[target]["label"]
        if kind == CITES:
            number = _number(row)
            as_number = f" as reference {number}" if number is not None else ""
            extra: dict[str, Any] = {"citation": str(row["citation"])}
            if number is not None:
                extra["reference_number"] = number
            description = f"{source_label} cites {target_label}{as_number}."
        else:
            extra = {}
            description = f"{source_label} summarizes {target_label}."
        graph.add_edge(source, target, kind=kind, description=description, **extra)
    return graph


def _publications(rows: list[dict[str, Node]]) -> dict[str, dict[str, Any]]:
    values: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for row in rows:
        for name, term in row.items():
            values[str(row["publication"])][name].add(str(term))
    publications: dict[str, dict[str, Any]] = {}
    for iri, found in values.items():
        first = {name: min(terms) for name, terms in found.items()}
        label = first.get("label") or first.get("title") or iri
        kind = first.get("typeLabel") or _local_name(first["type"])
        attributes: dict[str, Any] = {"kind": "publication", "label": label, "type": kind}
        year = first.get("year", "")[:4]
        if year.isdigit():
            attributes["year"] = int(year)
        for name in ("title", "doi", "pmid"):
            if name in first:
                attributes[name] = first[name]
        in_year = f", {year}" if year.isdigit() else ""
        attributes["description"] = f"{label}: a {kind}{in_year}."
        publications[iri] = attributes
    return publications


def _number(row: dict[str, Node]) -> int | None:
    term = row.get("referenceNumber")
    return int(term.toPython()) if isinstance(term, Literal) else None


# ---------------------------------------------------------------- exports


def to_graphml(graph: nx.Graph) -> bytes:
    """GraphML of the graph; list attributes become strings joined by '; '."""
    flat = _sorted_copy(graph, flatten=True)
    return ("\n".join(nx.generate_graphml(flat)) + "\n").encode("utf-8")


def to_node_link(graph: nx.Graph) -> str:
    """Node-link JSON with nodes and links in a fixed order, so equal graphs give equal text."""
    data = nx.node_link_data(_sorted_copy(graph), edges="links")
    data["nodes"].sort(key=lambda n: str(n["id"]))
    data["links"].sort(key=lambda e: (str(e["source"]), str(e["target"]), str(e.get("key", ""))))
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def _sorted_copy(graph: nx.Graph, *, flatten: bool = False) -> nx.Graph:
    def attrs(data: dict[str, Any]) -> dict[str, Any]:
        return {k: _flat(v) for k, v in data.items()} if flatten else dict(data)

    copy = graph.__class__()
    copy.graph.update(attrs(graph.graph))
    for node in sorted(graph.nodes, key=str):
        copy.add_node(node, **attrs(graph.nodes[node]))
    if graph.is_multigraph():
        for u, v, key, data in sorted(
            graph.edges(keys=True, data=True), key=lambda e: tuple(map(str, e[:3]))
        ):
            copy.add_edge(u, v, key=key, **attrs(data))
    else:
        for u, v, data in sorted(graph.edges(data=True), key=lambda e: (str(e[0]), str(e[1]))):
            copy.add_edge(u, v, **attrs(data))
    return copy


def _flat(value: Any) -> Any:
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value) if isinstance(value, (set, frozenset)) else value
        return "; ".join(str(v) for v in items)
    return value


# ---------------------------------------------------------------- SVG drawing

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


def to_svg(graph: nx.Graph, title: str, *, width: int = 1100, height: int = 1100) -> str:
    """A deterministic SVG drawing: nodes on a circle in sorted order, edges styled by their kind.

    A node linked to at least half of the others (the letter in the citation network) is drawn at
    the centre. Every node and edge carries a <title> sentence (its `description` where it has one).
    """
    nodes = sorted(graph.nodes, key=str)
    cx, cy = width / 2, height / 2 + 20
    radius = max(min(width, height) / 2 - 270, 60.0)
    hub = _hub(graph, nodes)
    ring = [node for node in nodes if node != hub]
    position = {node: _on_circle(i, len(ring), cx, cy, radius) for i, node in enumerate(ring)}
    if hub is not None:
        position[hub] = (round(cx, 1), round(cy, 1))
    placement = "radial" if len(ring) > _HORIZONTAL_LABELS_UP_TO else "horizontal"
    node_groups = sorted({_node_group(graph.nodes[n]) for n in nodes})
    colour = {group: _NODE_COLOURS[i % len(_NODE_COLOURS)] for i, group in enumerate(node_groups)}
    kinds = sorted({str(data.get("kind", "")) for *_, data in _edges(graph)})

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

    out.append('<g class="edges" fill="none">')
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
        path = _edge_path(position[u], position[v], (index - (count - 1) / 2) * 26.0, u == v, u, v)
        out.append(
            f'<g class="edge {escape(kind)}"><title>{escape(str(sentence))}</title>'
            f'<path d="{path}" stroke="{stroke}" stroke-width="{stroke_width}"{dash_attr} '
            f'marker-end="url(#{_marker_id(kind)})"/></g>'
        )
    out.append("</g>")

    out.append('<g class="nodes" font-size="11">')
    for node in nodes:
        data = graph.nodes[node]
        x, y = position[node]
        sentence = data.get("description") or f"{_label(graph, node)}."
        text = _label(graph, node)
        limit = _LABEL_CHARS[placement if node != hub else "centre"]
        if len(text) > limit:
            text = text[: limit - 1].rstrip() + "\u2026"
        out.append(
            f'<g class="node"><title>{escape(str(sentence))}</title>'
            f'<circle cx="{_n(x)}" cy="{_n(y)}" r="{_n(_NODE_RADIUS)}" '
            f'fill="{colour[_node_group(data)]}" stroke="#333333" stroke-width="0.8"/>'
            f"{_node_text(x, y, cx, cy, escape(text), 'centre' if node == hub else placement)}</g>"
        )
    out.append("</g>")
    out += _legend(kinds, node_groups, colour, height)
    out.append("</svg>")
    return "\n".join(out) + "\n"


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
    text = f"{value:.1f}"
    return "0.0" if text == "-0.0" else text


def _local_name(iri: str) -> str:
    return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _count(number: int, singular: str, plural: str | None = None) -> str:
    return f"{number} {singular if number == 1 else plural or singular + 's'}"
