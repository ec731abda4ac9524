"""A built knowledge base on a SPARQL 1.1 server: `mmkb build --store sparql+http://...` writes it there,
`--store sparql+http://...` opens it without writing anything (kb.graph.built_store is the on-disk twin).

On the server: a named graph per graph of the build (one per curated file, the ontology's), the
inferred graph, and the stamp in BUILD_GRAPH, the stamp of an on-disk build (kb.graph.built_store),
whose digest of each graph's statements also names the graphs a reader queries. The catalogue of
kb.graph.remote lists every graph the builds wrote, so a build that stopped half-way leaves none that a
later build does not find and drop.

Publishing, in this order: the stamp is dropped (readers now refuse the store); the graphs of the
previous build that this one has not are dropped; each graph whose statements and source file are those
of the previous stamped build is kept, every other one replaced (the inferred graph always); the stamp is
written last, its version statement in a request of its own after the rest, since a stamp without one is
no stamp. A server that fails on the way leaves no stamp, so readers refuse the store until a build
succeeds. What this cannot give: a reader that opened the previous build sees the graphs change under its
queries while a build writes (restart or reopen it after a build); one builder at a time (nothing on
the server locks).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pyoxigraph as ox

from kb import __version__
from kb.graph.built_store import BUILD_GRAPH, VERSION, BuiltStoreError, Stamp, finding_order
from kb.graph.remote import RemoteGraphStore
from kb.graph.store import SPARQL_SCHEMES, Location, StoreError
from kb.namespaces import INFERRED_GRAPH


def is_remote(store: object) -> bool:
    """Whether `store` names a SPARQL server (sparql+http:// or sparql+https://) rather than a folder."""
    return isinstance(store, str) and store.startswith(SPARQL_SCHEMES)


@dataclass(frozen=True)
class Written:
    """What a build did to the graphs of the one before it: kept, replaced (or new), dropped."""

    kept: int
    replaced: int
    dropped: int


@dataclass(eq=False)
class RemoteBuild:
    """A build on a SPARQL server, open: its location, stamp, store and the order of its findings."""

    location: str
    stamp: Stamp
    store: RemoteGraphStore
    order: dict[str, tuple[str, ...]]

    @property
    def id(self) -> str:
        """The build's name, different for every build: what caches of computed answers key on."""
        return self.stamp.id

    @property
    def where(self) -> str:
        return self.location

    def finding_order(self) -> dict[str, tuple[str, ...]]:
        return self.order


def open_remote_build(location: str, environ: Mapping[str, str] | None = None) -> RemoteBuild:
    """The build on the server at `location`, read without writing anything: its stamp is read and
    checked, and every query names the graphs the stamp lists. BuiltStoreError when there is no stamp (no
    build, or one that did not finish) or another mmkb version wrote it; StoreError (naming the URL) when
    the server fails."""
    store = RemoteGraphStore(Location.parse(location), environ, graphs=[BUILD_GRAPH])
    try:
        stamp, held = _stamp(store)
        if stamp is None:
            raise BuiltStoreError(
                f"{location} is not an mmkb build (no stamp, or a build did not finish); "
                f"run `mmkb build --store {location}`"
            )
        if stamp.version != __version__:
            raise BuiltStoreError(
                f"{location} was built by mmkb {stamp.version}, this is mmkb {__version__}; "
                f"run `mmkb build --store {location}` again"
            )
    except BaseException:
        store.client.close()
        raise
    store.name_graphs([*stamp.contents, BUILD_GRAPH])
    return RemoteBuild(location, stamp, store, finding_order(held))


def _stamp(store: RemoteGraphStore) -> tuple[Stamp | None, ox.Store]:
    """The stamp on the server (None without one), and the stamp graph in memory."""
    held = ox.Store()
    held.extend(store.graph_quads(BUILD_GRAPH))
    return Stamp.read(held), held


def publish_remote(
    location: str, quads: Iterable[ox.Quad], stamp: Stamp, environ: Mapping[str, str] | None = None
) -> Written:
    """Write the build (`quads`, the stamp graph's among them, and `stamp`) to the server at `location`
    (see the module docstring for the order). StoreError, naming the URL, when the server fails."""
    store = RemoteGraphStore(Location.parse(location), environ)  # reads the catalogue: the server answers
    previous, _ = _stamp(store)
    if previous is not None and previous.version != __version__:
        previous = None  # what another version wrote is rewritten
    by_graph: dict[str, list[ox.Quad]] = defaultdict(list)
    for q in quads:
        by_graph[q.graph_name.value].append(q)  # type: ignore[union-attr]
    order = by_graph.pop(BUILD_GRAPH, [])
    kept = {g for g in by_graph if previous is not None and _unchanged(g, previous, stamp)}
    gone = {*store.graph_names(), *(previous.contents if previous else ())} - {*by_graph, BUILD_GRAPH}
    store.drop_graph(BUILD_GRAPH)  # first: from here on, readers refuse the store
    try:
        for graph in sorted(gone):
            store.drop_graph(graph)
        for graph, graph_quads in sorted(by_graph.items()):
            if graph not in kept:
                store.replace_graph(graph, graph_quads)
        stamped = [*order, *stamp.quads()]
        store.replace_graph(BUILD_GRAPH, [q for q in stamped if q.predicate != VERSION])
        store.insert(q for q in stamped if q.predicate == VERSION)  # last: the stamp is whole
    except StoreError as exc:
        unfinished = f"the build on {location} did not finish; readers refuse it until a build succeeds"
        raise StoreError(f"{exc}; {unfinished}") from None
    finally:
        store.client.close()
    return Written(len(kept), len(by_graph) - len(kept), len(gone))


def _unchanged(graph: str, previous: Stamp, stamp: Stamp) -> bool:
    """Whether the previous build wrote `graph` with these statements, from a file of these bytes (the
    inferred graph is made anew every time)."""
    if graph == INFERRED_GRAPH or graph not in previous.contents:
        return False
    same_file = previous.source_sha256(graph) == stamp.source_sha256(graph)
    return same_file and previous.contents[graph] == stamp.contents.get(graph)
