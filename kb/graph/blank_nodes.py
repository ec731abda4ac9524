"""Blank nodes named by what they say and where they hang, so the same description read twice is one node.

A parser gives every blank node a fresh label, so the same file read twice (or a file and an export of
it) would hold two copies of every evidence selector. Before anything is stored, each blank node is
relabelled with a hash of
  - its description: its outgoing statements, objects that are blank nodes described the same way, and
  - its place: the statements pointing at it, subjects that are blank nodes labelled the same way.
Two blank nodes get one label only when they say the same things and are pointed at by the same nodes
through the same properties: merging them keeps the graph's meaning (a lean graph would merge them
too). A blank node on a cycle cannot be described without itself; it keeps a label of its own and is
never merged. Labels are stable: relabelling an already relabelled input changes nothing.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence

import pyoxigraph as ox


def label_by_content(quads: Iterable[ox.Quad]) -> list[ox.Quad]:
    """The quads with every blank node relabelled by a hash of its description and its place."""
    quads = list(quads)
    labels = content_labels(quads)
    if not labels:
        return quads
    return [
        ox.Quad(labels.get(q.subject, q.subject), q.predicate, labels.get(q.object, q.object), q.graph_name)  # type: ignore[arg-type]
        if q.subject in labels or q.object in labels
        else q
        for q in quads
    ]


def content_labels(quads: Sequence[ox.Quad]) -> dict[object, ox.BlankNode]:
    """Each blank node of the quads, mapped to its label by content (nothing else is in the map)."""
    outgoing: dict[ox.BlankNode, list[tuple[str, object]]] = defaultdict(list)
    incoming: dict[ox.BlankNode, list[tuple[object, str]]] = defaultdict(list)
    for q in quads:
        if isinstance(q.subject, ox.BlankNode):
            outgoing[q.subject].append((str(q.predicate), q.object))
        if isinstance(q.object, ox.BlankNode):
            incoming[q.object].append((q.subject, str(q.predicate)))
    nodes: list[ox.BlankNode] = list(dict.fromkeys([*outgoing, *incoming]))
    if not nodes:
        return {}

    def blank(terms: Iterable[object]) -> list[ox.BlankNode]:
        return [t for t in terms if isinstance(t, ox.BlankNode)]

    # What a node says, computed from its objects up; what it is, from its subjects down.
    said = _digests(
        nodes,
        lambda b: blank(o for _, o in outgoing[b]),
        lambda b, done: [f"{p} {_key(o, done)}" for p, o in outgoing[b]],
    )
    placed = _digests(
        nodes,
        lambda b: blank(s for s, _ in incoming[b]),
        lambda b, done: [said[b], *(f"{_key(s, done)} {p}" for s, p in incoming[b])],
    )

    return {node: ox.BlankNode(placed[node]) for node in nodes}


def _key(term: object, done: dict[ox.BlankNode, str]) -> str:
    return "_:" + done[term] if isinstance(term, ox.BlankNode) else str(term)


def _digests(
    nodes: Sequence[ox.BlankNode],
    depends_on: Callable[[ox.BlankNode], list[ox.BlankNode]],
    lines: Callable[[ox.BlankNode, dict[ox.BlankNode, str]], list[str]],
) -> dict[ox.BlankNode, str]:
    """A digest per node over its `lines`, which may use the digests of the nodes it `depends_on`.

    Depth-first without recursion (a long RDF list is a long chain of blank nodes); a node met again
    while its own digest is being computed lies on a cycle and gets a fresh random label instead.
    """
    done: dict[ox.BlankNode, str] = {}
    for root in nodes:
        if root in done:
            continue
        stack: list[tuple[ox.BlankNode, list[ox.BlankNode]]] = [(root, depends_on(root))]
        active = {root}
        while stack:
            node, pending = stack[-1]
            if pending:
                child = pending.pop()
                if child in done:
                    continue
                if child in active:  # a cycle
                    done[child] = "c" + uuid.uuid4().hex
                    continue
                active.add(child)
                stack.append((child, depends_on(child)))
                continue
            stack.pop()
            active.discard(node)
            if node not in done:
                text = "\n".join(sorted(lines(node, done)))
                done[node] = "b" + hashlib.sha256(text.encode()).hexdigest()[:32]
    return done
