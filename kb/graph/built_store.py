"""Built stores: the knowledge base loaded, validated and reasoned once, kept on disk, opened read-only.

Layout: DIR is a symbolic link to DIR.builds/<id>, an Oxigraph store that nothing writes once it is
published. A new build is written beside it (DIR.builds/.partial-<id>), renamed to its id, and
published by replacing the link with os.replace: a reader resolves the link to the old build or to
the new one, never to a mix, and a build that fails publishes nothing. One builder at a time holds
DIR.builds/.lock.

A reader resolves the link once and holds a shared lock (flock) on that build's directory while it is
open, so a later build never deletes a store in use: publishing keeps the build it replaces and
prunes older ones that no reader holds.

Each build carries a stamp in its own named graph (BUILD_GRAPH), in the BUILD vocabulary: the mmkb
version that built it, a content hash of the input files' bytes in order, each input file with its
hash, the file each named graph was loaded from, a digest of each named graph's statements, the number
of triples (without the stamp) and the build time; and, for each conflict finding, the records it
involves in the order its rule named them (the inferred graph holds them as a set). A build on a SPARQL
server (kb.graph.remote_build) carries the same stamp.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import shutil
import weakref
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox

from kb import __version__
from kb.graph.store import Location, OxigraphGraphStore
from kb.namespaces import GRAPH_IRI

BUILD_GRAPH = GRAPH_IRI + "build"
BUILD = "https://w3id.org/mmkb/build#"
BUILDS_SUFFIX = ".builds"
_PARTIAL = ".partial-"
_LOCK = ".lock"
_VOID_TRIPLES = ox.NamedNode("http://rdfs.org/ns/void#triples")
_INTEGER = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
_DATE_TIME = ox.NamedNode("http://www.w3.org/2001/XMLSchema#dateTime")
_GRAPH = ox.NamedNode(BUILD_GRAPH)


def _term(name: str) -> ox.NamedNode:
    return ox.NamedNode(BUILD + name)


VERSION = _term("mmkbVersion")
CONTENT_HASH = _term("contentHash")
BUILT_AT = _term("builtAt")
INPUT = _term("input")  # an input file: its POSITION, PATH and SHA256
POSITION = _term("position")
PATH = _term("path")
SHA256 = _term("sha256")
LOADED_FROM = _term("loadedFrom")  # named graph -> file
STATEMENTS_SHA256 = _term("statementsSha256")  # named graph -> the digest of its statements
INVOLVES_IN_ORDER = _term("involvesInOrder")  # conflict finding -> the records involved, space-separated


class BuiltStoreError(ValueError):
    """A store that cannot be opened or built: missing, not an mmkb build, of another version, busy."""


@dataclass(frozen=True)
class InputFile:
    path: str  # absolute
    sha256: str


@dataclass(frozen=True)
class Stamp:
    """What a build records about itself (see the module docstring)."""

    version: str
    content_hash: str
    files: tuple[InputFile, ...]
    graphs: dict[str, str]  # named graph IRI -> the file it was loaded from
    triples: int
    built_at: str  # ISO 8601 with its UTC offset
    contents: dict[str, str] = field(default_factory=dict)  # named graph IRI -> statement_digests

    def quads(self) -> list[ox.Quad]:
        out = [
            _quad(_GRAPH, VERSION, ox.Literal(self.version)),
            _quad(_GRAPH, CONTENT_HASH, ox.Literal(self.content_hash)),
            _quad(_GRAPH, BUILT_AT, ox.Literal(self.built_at, datatype=_DATE_TIME)),
            _quad(_GRAPH, _VOID_TRIPLES, ox.Literal(str(self.triples), datatype=_INTEGER)),
        ]
        for position, file in enumerate(self.files, 1):
            node = ox.NamedNode(f"{BUILD_GRAPH}#input-{position}")
            out.append(_quad(_GRAPH, INPUT, node))
            out.append(_quad(node, POSITION, ox.Literal(str(position), datatype=_INTEGER)))
            out.append(_quad(node, PATH, ox.Literal(file.path)))
            out.append(_quad(node, SHA256, ox.Literal(file.sha256)))
        out += [_quad(ox.NamedNode(g), LOADED_FROM, ox.Literal(path)) for g, path in self.graphs.items()]
        out += [_quad(ox.NamedNode(g), STATEMENTS_SHA256, ox.Literal(h)) for g, h in self.contents.items()]
        return out

    @classmethod
    def read(cls, store: ox.Store) -> Stamp | None:
        """The stamp of a built store; None when the store has none (it is not an mmkb build). Each part
        is one index lookup, whatever the size of the store."""

        def values(subject: ox.NamedNode | None, predicate: ox.NamedNode | None) -> Iterator[ox.Quad]:
            return store.quads_for_pattern(subject, predicate, None, _GRAPH)

        about = {q.predicate: _value(q.object) for q in values(_GRAPH, None)}
        if VERSION not in about:
            return None
        inputs: dict[str, dict[ox.NamedNode, str]] = defaultdict(dict)
        for predicate in (POSITION, PATH, SHA256):
            for q in values(None, predicate):
                inputs[_value(q.subject)][predicate] = _value(q.object)
        by_position = sorted(inputs.values(), key=lambda i: int(i[POSITION]))
        return cls(
            version=about[VERSION],
            content_hash=about[CONTENT_HASH],
            files=tuple(InputFile(i[PATH], i[SHA256]) for i in by_position),
            graphs=dict(sorted((_value(q.subject), _value(q.object)) for q in values(None, LOADED_FROM))),
            triples=int(about[_VOID_TRIPLES]),
            built_at=about[BUILT_AT],
            contents=dict(
                sorted((_value(q.subject), _value(q.object)) for q in values(None, STATEMENTS_SHA256))
            ),
        )

    @property
    def id(self) -> str:
        """The build's name, different for every build: its time and the start of its content hash."""
        when = datetime.fromisoformat(self.built_at).astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        return f"{when}-{self.content_hash.split(':')[-1][:12]}"

    def source_sha256(self, graph: str) -> str | None:
        """The hash of the bytes of the file `graph` was loaded from (None for a graph of no file)."""
        path = self.graphs.get(graph)
        return next((f.sha256 for f in self.files if f.path == path), None)


def order_quads(order: Mapping[str, Sequence[str]]) -> Iterator[ox.Quad]:
    """For each conflict finding, the records it involves in the order its rule named them."""
    for finding, records in order.items():
        yield _quad(ox.NamedNode(finding), INVOLVES_IN_ORDER, ox.Literal(" ".join(records)))


def finding_order(store: ox.Store) -> dict[str, tuple[str, ...]]:
    """What order_quads wrote: finding IRI -> the IRIs of the records involved, in order."""
    pattern = store.quads_for_pattern(None, INVOLVES_IN_ORDER, None, _GRAPH)
    return {_value(q.subject): tuple(_value(q.object).split()) for q in pattern}


def _value(term: object) -> str:
    """An IRI's or a literal's text (the stamp holds nothing else)."""
    return term.value if isinstance(term, ox.NamedNode | ox.Literal) else str(term)


def _quad(s: ox.NamedNode, p: ox.NamedNode, o: ox.NamedNode | ox.Literal) -> ox.Quad:
    return ox.Quad(s, p, o, _GRAPH)


def statement_digests(quads: Iterable[ox.Quad]) -> dict[str, str]:
    """For each named graph, a SHA-256 of its statements in any order (the sum of the hashes of their
    N-Triples lines, modulo 2**256): equal exactly when the graphs hold the same statements, blank nodes
    by their labels (content labels, kb.graph.blank_nodes: the same for the same description)."""
    sums: dict[str, int] = defaultdict(int)
    for q in quads:
        line = f"{q.subject} {q.predicate} {q.object} .".encode()
        sums[_value(q.graph_name)] += int.from_bytes(hashlib.sha256(line).digest(), "big")
    return {graph: f"{total % (1 << 256):064x}" for graph, total in sorted(sums.items())}


def content_hash(paths: Sequence[Path]) -> tuple[str, tuple[InputFile, ...]]:
    """A hash of the files' bytes in order (each preceded by its length), and each file with its own."""
    whole = hashlib.sha256()
    files = []
    for path in paths:
        data = path.read_bytes()
        whole.update(len(data).to_bytes(8, "big"))
        whole.update(data)
        files.append(InputFile(str(path.resolve()), hashlib.sha256(data).hexdigest()))
    return f"sha256:{whole.hexdigest()}", tuple(files)


# ---------------------------------------------------------------------------------- reading


@dataclass(eq=False)
class Build:
    """A published build, open read-only: its directory (the link resolved), stamp and store."""

    path: Path
    stamp: Stamp
    store: OxigraphGraphStore

    @property
    def id(self) -> str:
        """The build's name, different for every build: what caches of computed answers key on."""
        return self.path.name

    @property
    def where(self) -> str:
        """Where the build is, for messages: its directory."""
        return str(self.path)

    def finding_order(self) -> dict[str, tuple[str, ...]]:
        return finding_order(self.store.oxigraph)


def open_build(directory: Path | str) -> Build:
    """The build `directory` points to, opened read-only and held (a shared lock) until it is dropped.

    BuiltStoreError when there is no store, it is not an mmkb build, or another mmkb version built it."""
    link = Path(directory)
    if not link.exists():
        raise BuiltStoreError(f"no store at {link}; build one with `mmkb build --store {link}`")
    path = link.resolve()
    fd = _hold(path, shared=True, wait=True)
    try:
        if not path.is_dir():  # pruned while this reader waited for the lock
            raise BuiltStoreError(f"the build {path} was removed while opening {link}; open it again")
        try:
            store = OxigraphGraphStore(Location("oxigraph", path, read_only=True))
        except OSError as exc:
            raise BuiltStoreError(f"{link} is not an mmkb store ({_first_line(exc)}); {_REBUILD}") from None
        stamp = Stamp.read(store.oxigraph)
        if stamp is None:
            raise BuiltStoreError(f"{link} is an Oxigraph store but not an mmkb build (no stamp); {_REBUILD}")
        if stamp.version != __version__:
            raise BuiltStoreError(
                f"{link} was built by mmkb {stamp.version}, this is mmkb {__version__}; "
                f"run `mmkb build --store {link}` again"
            )
    except BaseException:
        os.close(fd)
        raise
    build = Build(path, stamp, store)
    weakref.finalize(build, os.close, fd)
    return build


_REBUILD = "make one with `mmkb build --store DIR`"


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _hold(path: Path, *, shared: bool, wait: bool) -> int:
    """A descriptor of directory `path` holding a flock on it; OSError (EWOULDBLOCK) when not `wait`ing
    and the lock is held otherwise."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except NotADirectoryError:
        raise BuiltStoreError(f"{path} is not a directory; {_REBUILD}") from None
    try:
        fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | (0 if wait else fcntl.LOCK_NB))
    except BaseException:
        os.close(fd)
        raise
    return fd


# ---------------------------------------------------------------------------------- publishing


def builds_folder(directory: Path | str) -> Path:
    """Where the builds of the store `directory` live: DIR.builds beside DIR."""
    link = Path(directory)
    return link.with_name(link.name + BUILDS_SUFFIX)


def check_target(directory: Path | str) -> Path | None:
    """The build `directory` now points to (None when there is none yet); BuiltStoreError when `directory`
    is something a build must not replace (a file, a folder, a link elsewhere)."""
    link = Path(directory)
    builds = builds_folder(link)
    if link.is_symlink():
        target = (link.parent / os.readlink(link)).resolve()
        if target.parent != builds.resolve():
            raise BuiltStoreError(
                f"{link} is a link to {target}, not to a build in {builds}; give another path"
            )
        return target if target.is_dir() else None
    if link.exists():
        raise BuiltStoreError(f"{link} exists and is not a built store; give another path or remove it")
    return None


def publish(directory: Path | str, quads: Iterable[ox.Quad], stamp: Stamp) -> Path:
    """Write `quads` and the stamp as a new build beside `directory`, make `directory` point to it and
    prune the builds older than the one it replaces that no reader holds. Returns the new build's path.

    Until the link is replaced nothing a reader sees changes; if anything fails before, the partial
    build is removed and `directory` still points where it did."""
    link = Path(directory)
    check_target(link)
    builds = builds_folder(link)
    builds.mkdir(parents=True, exist_ok=True)
    with _builder(builds, link):
        previous = check_target(link)  # again: another build may have been published meanwhile
        name = stamp.id
        partial, final = builds / f"{_PARTIAL}{name}", builds / name
        try:
            _write(partial, quads, stamp)
            os.rename(partial, final)
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
        _point(link, final)
        _prune(builds, keep={final.resolve(), *([previous] if previous else [])})
    return final


@contextmanager
def _builder(builds: Path, link: Path) -> Iterator[None]:
    fd = os.open(builds / _LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuiltStoreError(f"another mmkb build is writing {link}; wait for it to finish") from None
        yield
    finally:
        os.close(fd)


def _write(path: Path, quads: Iterable[ox.Quad], stamp: Stamp) -> None:
    store = ox.Store(str(path))
    store.bulk_extend(quads)
    store.bulk_extend(stamp.quads())
    store.flush()
    store.optimize()
    del store  # closes the database before the folder is renamed


def _point(link: Path, build: Path) -> None:
    """Replace `link` by a link to `build`, atomically (a relative link: the folder holding both may move)."""
    fresh = link.with_name(f".{link.name}.{os.getpid()}.link")
    fresh.unlink(missing_ok=True)
    os.symlink(os.path.relpath(build, link.parent), fresh)
    os.replace(fresh, link)
    folder = os.open(link.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def _prune(builds: Path, keep: set[Path]) -> None:
    """Remove partial builds left by a build that crashed and the builds no reader holds, but `keep`."""
    for entry in builds.iterdir():
        if entry.name == _LOCK or entry.resolve() in keep or not entry.is_dir():
            continue
        if entry.name.startswith(_PARTIAL):  # the builder lock is held: no build is writing it
            shutil.rmtree(entry, ignore_errors=True)
            continue
        try:
            fd = _hold(entry, shared=False, wait=False)
        except OSError as exc:
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                continue  # a reader holds it; a later build prunes it
            raise
        try:
            shutil.rmtree(entry)
        finally:
            os.close(fd)
