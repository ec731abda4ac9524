"""One SPARQL job evaluated on Oxigraph inside a worker: screen, query, capped answer, sanitized errors."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from typing import Any

import pyoxigraph as ox

from api.sparql_results import (
    BOOLEAN_FORMATS,
    GRAPH_FORMATS,
    SOLUTION_TYPES,
    CapExceeded,
    CappedBuffer,
    counted,
    write_solutions,
    write_triples,
)
from api.sparql_screen import NO_OUTBOUND, decode_escapes, screen
from kb.graph.sparql_text import declares_dataset

_POSITION = re.compile(r"error at (\d+):(\d+): (.*)", re.DOTALL)
_MAX_DETAIL = 160


@dataclass(frozen=True)
class Job:
    """A query, the media types the client accepts for each kind of answer, the caps, the dataset.

    `default_graphs` / `named_graphs` set by the protocol replace the query's FROM / FROM NAMED;
    None leaves the dataset to the query (the default graph is the union of all graphs).
    """

    query: str
    solutions_type: str | None
    graph_type: str | None
    max_rows: int
    max_bytes: int
    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None

    def to_bytes(self) -> bytes:
        return json.dumps(asdict(self)).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> Job:
        fields = json.loads(data)
        for name in ("default_graphs", "named_graphs"):
            if fields[name] is not None:
                fields[name] = tuple(fields[name])
        return cls(**fields)


@dataclass(frozen=True)
class Outcome:
    """The answer (status 200) or an error status with a plain-text message; `retire` ends the worker."""

    status: int
    body: bytes
    media_type: str
    retire: bool = False

    def header(self) -> bytes:
        return json.dumps(
            {"status": self.status, "media_type": self.media_type, "retire": self.retire}
        ).encode()

    @classmethod
    def from_parts(cls, header: bytes, body: bytes) -> Outcome:
        fields = json.loads(header)
        return cls(int(fields["status"]), body, str(fields["media_type"]), bool(fields["retire"]))


def error(status: int, message: str, retire: bool = False) -> Outcome:
    return Outcome(status, message.encode(), "text/plain; charset=utf-8", retire)


@dataclass(frozen=True)
class WorkerData:
    """What a worker serves: a built store it opens read-only at `store_path`, or else a copy of the
    knowledge base sent to it as N-Quads."""

    store_path: str | None = None
    nquads: bytes = b""

    def header(self) -> bytes:
        return json.dumps({"store_path": self.store_path}).encode()


def open_data(header: bytes, nquads: bytes) -> tuple[ox.Store, bool]:
    """The store a worker answers from, and whether its default graph must be asked for as the union of
    the named graphs (a built store, which is never written, does not hold the union materialized)."""
    path = json.loads(header)["store_path"]
    if path:
        return ox.Store.read_only(path), True
    return load_store(nquads), False


def load_store(nquads: bytes) -> ox.Store:
    """An in-memory store of `nquads` whose default graph also holds every triple (the union).

    Materializing the union keeps FROM and FROM NAMED meaningful: Oxigraph ignores a query's
    dataset clauses when asked to use the union as the default graph.
    """
    store = ox.Store()
    store.bulk_load(nquads, format=ox.RdfFormat.N_QUADS)
    union = [ox.Quad(q.subject, q.predicate, q.object) for q in store.quads_for_pattern(None, None, None)]
    store.extend(union)
    return store


def execute(store: ox.Store, prefixes: dict[str, str], job: Job, *, union: bool = False) -> Outcome:
    """Evaluate `job`; every failure is an Outcome whose message says what to change."""
    refusal = screen(job.query)
    if refusal is not None:
        return error(refusal.status, refusal.message)
    return evaluate(store, prefixes, job, union=union)


def evaluate(store: ox.Store, prefixes: dict[str, str], job: Job, *, union: bool = False) -> Outcome:
    """Evaluate `job` without the lexical screen: what the engine does with any text. With `union`, a
    query that names no dataset (no protocol graphs, no FROM) gets the union of the named graphs as its
    default graph."""
    try:
        dataset = _dataset(job)
    except ValueError as exc:
        return error(400, str(exc))
    if union and not dataset and not names_dataset(job.query):
        dataset = {"use_default_graph_as_union": True}
    try:
        results = store.query(job.query, prefixes=prefixes, **dataset)
        return _answer(results, job, prefixes)
    except CapExceeded as exc:
        return error(422, _cap_message(exc))
    except SyntaxError as exc:
        return error(400, syntax_message(str(exc)))
    except MemoryError:
        return error(503, "the query needed more memory than a worker may use; narrow the query", retire=True)
    except OSError:
        # The engine's I/O errors would tell the client about this host's network: never pass them on.
        return error(400, f"the query asks for data from outside this dataset; {NO_OUTBOUND}")
    except (ValueError, RuntimeError, TypeError, LookupError, ArithmeticError):
        return error(400, "the query could not be evaluated; check functions, datatypes and dataset clauses")
    except BaseException as exc:  # a Rust panic surfaces as BaseException: keep serving, in a fresh worker
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise
        return error(400, "the query could not be evaluated by the engine; simplify it", retire=True)


def names_dataset(query: str) -> bool:
    """Whether the query has a FROM or FROM NAMED clause (kb.graph.sparql_text reads it lexically), as
    sent or with its codepoint escapes decoded. Oxigraph drops those clauses when asked for the union
    default graph, so such a query is evaluated on its own dataset."""
    return declares_dataset(query) or ("\\" in query and declares_dataset(decode_escapes(query)))


def _dataset(job: Job) -> dict[str, Any]:
    if job.default_graphs is None and job.named_graphs is None:
        return {}
    return {
        "default_graph": [_graph(iri, "default-graph-uri") for iri in job.default_graphs or ()],
        "named_graphs": [_graph(iri, "named-graph-uri") for iri in job.named_graphs or ()],
    }


def _graph(iri: str, parameter: str) -> ox.NamedNode:
    try:
        return ox.NamedNode(iri)
    except ValueError:
        raise ValueError(f"{parameter} {iri!r} is not an absolute IRI") from None


def _answer(results: Any, job: Job, prefixes: dict[str, str]) -> Outcome:
    if isinstance(results, ox.QueryTriples):
        if job.graph_type is None:
            return _not_acceptable(list(GRAPH_FORMATS))
        out = CappedBuffer(job.max_bytes)
        write_triples(counted(results, job.max_rows, "triples"), job.graph_type, out, prefixes)
        return Outcome(200, out.getvalue(), job.graph_type)
    if job.solutions_type is None:
        return _not_acceptable(list(SOLUTION_TYPES))
    if isinstance(results, ox.QueryBoolean):
        return Outcome(
            200, results.serialize(format=BOOLEAN_FORMATS[job.solutions_type]) or b"", job.solutions_type
        )
    variables = [variable.value for variable in results.variables]
    rows = ([solution[name] for name in variables] for solution in results)
    out = CappedBuffer(job.max_bytes)
    write_solutions(variables, counted(rows, job.max_rows, "rows"), job.solutions_type, out)
    return Outcome(200, out.getvalue(), job.solutions_type)


def syntax_message(engine_message: str) -> str:
    """The engine's syntax error as 'line L, column C: expected ...', its expectation list shortened."""
    match = _POSITION.match(engine_message)
    where, detail = (f"line {match[1]}, column {match[2]}", match[3]) if match else ("", engine_message)
    detail = " ".join(detail.split())
    if len(detail) > _MAX_DETAIL:
        detail = detail[: _MAX_DETAIL - 1].rstrip(", ") + "…"
    return f"SPARQL syntax error at {where}: {detail}" if where else f"SPARQL syntax error: {detail}"


def _not_acceptable(offered: list[str]) -> Outcome:
    return error(406, f"no acceptable format; this query can answer in {', '.join(offered)}")


def _cap_message(exc: CapExceeded) -> str:
    if exc.what == "bytes":
        return (
            f"the answer is larger than {exc.limit} bytes, the most this endpoint sends; select fewer "
            "variables, shorten long values (SUBSTR), add a LIMIT or narrow the query with FILTER"
        )
    return (
        f"the answer has more than {exc.limit} {exc.what}, the most this endpoint sends; "
        f"add a LIMIT (at most {exc.limit}) or narrow the query with FILTER or more specific patterns"
    )
