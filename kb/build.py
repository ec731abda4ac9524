"""Build once: load, validate and reason the curated files, then publish them as a built store that
every command and the service open without doing any of it again: on disk (kb.graph.built_store) or on
a SPARQL 1.1 server (kb.graph.remote_build), with the same stamp.

A build checks exactly what `mmkb validate` checks (load errors, SHACL shapes, structural rules) and
publishes nothing unless all of it passes: each problem is one line naming the file, the line and the
record.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from kb import __version__
from kb.graph.built_store import (
    BUILD_GRAPH,
    Stamp,
    check_target,
    content_hash,
    order_quads,
    publish,
    statement_digests,
)
from kb.graph.load import load
from kb.graph.remote_build import Written, is_remote, publish_remote
from kb.graph.store import Location
from kb.paths import ONTOLOGY_FILES, curated_files, display_path
from kb.quality.validate import validated

if TYPE_CHECKING:
    from collections.abc import Sequence

    from kb.quality.validate import Report

_PREFIX = re.compile(
    r"^\s*(?:@prefix|PREFIX)\s+([A-Za-z][\w.-]*)?:\s*<([^>]*)>", re.IGNORECASE | re.MULTILINE
)


BUILD_NODE = ox.NamedNode(BUILD_GRAPH)


class BuildFailed(Exception):
    """The files do not validate, so nothing was published; `problems` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class Built:
    """A published build: its folder (or the server's location), stamp, conflict findings (warnings, as
    in validate) and timing; on a server, what became of the previous build's graphs."""

    path: Path | str
    stamp: Stamp
    conflicts: int
    seconds: float
    graphs: Written | None = None


def build(store: Path | str, paths: Sequence[Path] | None = None) -> Built:
    """Build the shipped curated files (or `paths`) with the ontology into `store`: a folder, or a SPARQL
    server's location (sparql+http://... or sparql+https://..., kb.graph.remote_build).

    BuildFailed when they do not validate, BuiltStoreError when `store` cannot hold a built store; in
    both cases nothing is written. StoreError when the server fails while the build is written."""
    started = time.perf_counter()
    remote = is_remote(store)
    if remote:
        Location.parse(str(store))  # a LocationError names what is wrong with it, before the work
    else:
        check_target(store)  # before the work, not only when publishing
    chosen = None if paths is None else [Path(p) for p in paths]
    report, kb = validated(load(chosen))
    if not report.valid:
        raise BuildFailed(problems(report, [*ONTOLOGY_FILES, *(chosen or curated_files())]))
    digest, files = content_hash([*ONTOLOGY_FILES, *(chosen or curated_files())])
    stamp = Stamp(
        version=__version__,
        content_hash=digest,
        files=files,
        graphs={graph: str(path.resolve()) for graph, path in sorted(kb.loaded.files.items())},
        triples=len(kb.store),
        built_at=datetime.now(UTC).isoformat(timespec="microseconds"),
        contents=statement_digests(q for q in kb.store.ox_quads() if q.graph_name != BUILD_NODE),
    )
    findings = [*kb.conflicts, *(r.finding for r in kb.resolved)]
    order = order_quads({str(f.iri): [str(i) for i in f.involves] for f in findings})
    # a stamp read in from a file (a dump of another build) is not this build's
    everything = kb.store.ox_quads()
    quads = chain((q for q in everything if q.graph_name != BUILD_NODE), order)
    if remote:
        written = publish_remote(str(store), quads, stamp)
        return Built(str(store), stamp, len(kb.conflicts), time.perf_counter() - started, written)
    path = publish(store, quads, stamp)
    return Built(path, stamp, len(kb.conflicts), time.perf_counter() - started)


def problems(report: Report, inputs: Sequence[Path]) -> list[str]:
    """One line per load error and per violation: file, line (where the record is found), record, rule."""
    by_name = {display_path(p): p for p in inputs}
    lines = [str(error) for error in report.load_errors]
    for v in report.violations:
        path = by_name.get(v.file)
        line = record_line(path, v.record) if path is not None else None
        lines.append(f"{v.file}{f':{line}' if line else ''}: {v.record}: {v.rule}: {v.message}")
    return lines


def record_line(path: Path, record: str) -> int | None:
    """The line of `path` where `record` (an IRI) is first the subject of a statement, else where it is
    first written at all (by IRI or by a prefixed name the file declares); None when it is not found."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    names = [f"<{record}>", f'"{record}"']  # Turtle, N-Triples, RDF/XML attributes, JSON-LD
    names += [
        f"{prefix or ''}:{record[len(iri) :]}"
        for prefix, iri in _PREFIX.findall(text)
        if iri and record.startswith(iri) and re.fullmatch(r"[\w.-]*", record[len(iri) :])
    ]
    lines = text.splitlines()
    for pattern in (r"^\s*{}(?=[\s;,.]|$)", r"(?<![\w:<-]){}(?![\w-])"):
        wanted = re.compile("|".join(pattern.format(re.escape(n)) for n in names))
        for number, line in enumerate(lines, 1):
            if wanted.search(line):
                return number
    return None
