"""Network views: regimens linked by comparisons and sequences, publications linked by citations."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import networkx as nx
from rdflib.term import Literal, Node, URIRef

from kb.links import doi_url, pubmed_url
from kb.namespaces import MM, local_name
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
        node = "regimen:" + "+".join(sorted(local_name(d) for d in drugs))
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
        kind = first.get("typeLabel") or local_name(first["type"])
        attributes: dict[str, Any] = {"kind": "publication", "label": label, "type": kind}
        year = first.get("year", "")[:4]
        if year.isdigit():
            attributes["year"] = int(year)
        for name in ("title", "doi", "pmid"):
            if name in first:
                attributes[name] = first[name]
        if "doi" in first:
            attributes["doi_url"] = doi_url(first["doi"])
        if "pmid" in first:
            attributes["pubmed_url"] = pubmed_url(first["pmid"])
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


# ---------------------------------------------------------------- descriptions


def _count(number: int, singular: str, plural: str | None = None) -> str:
    return f"{number} {singular if number == 1 else plural or singular + 's'}"
