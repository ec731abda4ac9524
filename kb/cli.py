"""The mmkb command line: sub-commands mirror the library."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

# Only what the parser needs is imported here: the option lists. A command imports the graph, the
# reasoning and the analysis it uses when it runs, so `mmkb --help` and a mistyped option answer at once.
from kb.analysis.response_table import CI_METHODS, GROUPINGS, PATIENT_ATTRIBUTES, THRESHOLDS
from kb.graph.export import RDF_FORMATS
from kb.render.tables import FORMATS

if TYPE_CHECKING:
    from rdflib.term import Node

    from kb.analysis.response_rate import Filters
    from kb.analysis.response_table import ComparisonTable
    from kb.knowledge_base import KnowledgeBase


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: what was wrong and what is valid, no usage dump."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}\n")


def _open_kb(args: argparse.Namespace) -> KnowledgeBase:
    from kb.knowledge_base import KnowledgeBase

    paths = [Path(p) for p in args.kb] if getattr(args, "kb", None) else None
    return KnowledgeBase.open(paths, location=getattr(args, "location", None))


# ---------------------------------------------------------------- commands


def cmd_validate(args: argparse.Namespace) -> int:
    from kb.quality.validate import validate

    paths = [Path(p) for p in [*args.paths, *(args.kb or [])]] or None
    report = validate(paths)
    for line in report.lines():
        print(line)
    errors = len(report.violations) + len(report.load_errors)
    print(
        f"{'valid' if report.valid else 'invalid'}: {len(report.files)} files, {errors} errors, "
        f"{len(report.conflicts)} conflict warnings",
        file=sys.stderr,
    )
    return 0 if report.valid else 1


def cmd_export(args: argparse.Namespace) -> int:
    from kb.graph.export import export

    data = export(_open_kb(args).store, args.format)
    if args.out:
        Path(args.out).write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
    return 0


def cmd_provenance_check(args: argparse.Namespace) -> int:
    from kb.quality.provenance import check_source

    source = Path(args.source)
    if not source.is_file():
        print(f"mmkb provenance check: {source}: no such file", file=sys.stderr)
        return 2
    checked, mismatches = check_source(_open_kb(args), source)
    for mismatch in mismatches:
        print(mismatch)
    if checked == 0:
        print(
            f"no selector in the knowledge base cites {source.name} (no document has mm:textFile "
            f"{source.name!r})",
            file=sys.stderr,
        )
        return 1
    print(f"{checked} selectors checked against {source.name}: {len(mismatches)} mismatches", file=sys.stderr)
    return 1 if mismatches else 0


def cmd_show_claim(args: argparse.Namespace) -> int:
    from kb.namespaces import ID
    from kb.reasoning.derivation import explain, lines
    from kb.render.record_text import claim_lines

    kb = _open_kb(args)
    claim = kb.claim(args.claim)
    explanation = explain(kb.store, ID[args.claim])
    if claim is None or explanation is None:
        print(f"mmkb show claim: no claim {args.claim!r}", file=sys.stderr)
        return 2
    if args.format == "json":
        print(json.dumps(claim.how, indent=2, ensure_ascii=False))
    else:
        print("\n".join([*lines(explanation), "provenance:", *claim_lines(claim)]))
    return 0


def cmd_show_study(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from kb.render.record_text import study_lines

    study = _open_kb(args).study(args.study)
    if study is None:
        print(f"mmkb show study: no study {args.study!r}", file=sys.stderr)
        return 2
    if args.format == "json":
        print(json.dumps(asdict(study), indent=2, ensure_ascii=False))
    else:
        print("\n".join(study_lines(study)))
    return 0


def cmd_conflicts(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from kb.render.record_text import conflict_lines

    conflicts = _open_kb(args).conflict_findings()
    if args.format == "json":
        print(json.dumps([asdict(c) for c in conflicts], indent=2, ensure_ascii=False))
    else:
        print("\n".join(conflict_lines(conflicts)))
    return 0


def cmd_lint(args: argparse.Namespace) -> int:
    from kb.paths import curated_files, display_path
    from kb.quality.lint import FIX_COMMAND, lint

    paths = [Path(p) for p in args.paths] or curated_files()
    results = lint(paths, fix=args.fix)
    bad = [r for r in results if not r.canonical]
    for result in bad:
        print(f"{display_path(result.path)}: not in canonical form; run `{FIX_COMMAND}`")
    if args.fix:
        print(f"{len(results)} files in canonical form", file=sys.stderr)
    return 1 if bad else 0


def cmd_query(args: argparse.Namespace) -> int:
    from kb.analysis.questions import question
    from kb.graph.store import result_rows

    if args.name:
        text = question(args.name).text
    elif args.query is None:
        print(
            "mmkb query: give a .rq file, SPARQL text or --name QUESTION (see `mmkb questions`)",
            file=sys.stderr,
        )
        return 2
    else:
        text = Path(args.query).read_text(encoding="utf-8") if args.query.endswith(".rq") else args.query
    result = _open_kb(args).query(text)
    if result.type in ("CONSTRUCT", "DESCRIBE") and result.graph is not None:
        sys.stdout.write(result.graph.serialize(format="turtle"))
        return 0
    if args.format == "turtle":
        print(
            "mmkb query: --format turtle needs a CONSTRUCT or DESCRIBE query; use table, csv or json",
            file=sys.stderr,
        )
        return 2
    if result.type == "ASK":
        print("true" if result.askAnswer else "false")
        return 0
    names = [str(v) for v in result.vars or []]
    rows = [[_cell(row.get(n)) for n in names] for row in result_rows(result)]
    if args.format == "json":
        print(json.dumps([dict(zip(names, r, strict=True)) for r in rows], indent=2, ensure_ascii=False))
    elif args.format == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(names)
        writer.writerows(rows)
        sys.stdout.write(out.getvalue())
    else:
        print(_table(names, rows))
    return 0


def cmd_questions(args: argparse.Namespace) -> int:
    from kb.analysis.questions import questions

    for q in questions():
        print(f"{q.name}: {q.title}")
    return 0


def _filters(args: argparse.Namespace) -> Filters:
    from kb.analysis.response_rate import Filters

    return Filters(
        drug=args.drug,
        drug_class=args.drug_class,
        refractory=frozenset(d.strip() for d in args.refractory.split(","))
        if args.refractory
        else frozenset(),
        design=args.design,
        min_n=args.min_n,
    )


def _comparison(args: argparse.Namespace) -> tuple[KnowledgeBase, ComparisonTable]:
    from kb.analysis.response_rate import response_rates

    kb = _open_kb(args)
    table = response_rates(
        kb,
        by=args.by,
        threshold=args.threshold,
        ci_method=args.ci,
        filters=_filters(args),
        pool=args.pool,
        allow_retrospective=args.allow_retrospective,
    )
    return kb, table


def _write(args: argparse.Namespace, text: str | bytes) -> None:
    data = text.encode("utf-8") if isinstance(text, str) else text
    if args.out:
        Path(args.out).write_bytes(data)
    else:
        sys.stdout.buffer.write(data)


def cmd_compare(args: argparse.Namespace) -> int:
    from kb.render.tables import render

    _, table = _comparison(args)
    _write(args, render(table, args.format))
    return 0


def cmd_plot_forest(args: argparse.Namespace) -> int:
    from kb.analysis.response_rate import hazard_ratio_rows
    from kb.render.forest_plot import forest_svg

    kb, table = _comparison(args)
    _write(args, forest_svg(table, hazard_ratio_rows(kb, table)))
    return 0


def cmd_network(args: argparse.Namespace) -> int:
    from kb.analysis.network import citation_network, regimen_network, to_graphml, to_node_link
    from kb.render.network_svg import to_svg

    kb = _open_kb(args)
    graph = regimen_network(kb) if args.kind == "regimens" else citation_network(kb)
    if args.format == "graphml":
        _write(args, to_graphml(graph))
    elif args.format == "json":
        _write(args, to_node_link(graph))
    else:
        _write(args, to_svg(graph, f"{args.kind} network"))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    # The library never imports the web stack; only this command does.
    from api.app import create_app
    from api.http.server import run
    from api.settings import from_args
    from kb.knowledge_base import KnowledgeBase

    settings = from_args(args)
    paths = [Path(p) for p in [*(args.kb or []), *(args.data or [])]] or None
    started = time.perf_counter()
    kb = KnowledgeBase.open(paths)
    studies = len(kb.select("SELECT DISTINCT ?s WHERE { ?s a mm:Study }"))
    print(
        f"mmkb: {len(kb)} triples, {studies} studies loaded in {time.perf_counter() - started:.2f} s; "
        f"serving at http://{settings.host}:{settings.port}/ (SPARQL at /sparql, API docs at /docs)",
        file=sys.stderr,
    )
    run(create_app(kb, settings), settings, log_level="info")
    return 0


def _cell(term: Node | None) -> str:
    from rdflib import Literal

    if term is None:
        return ""
    if isinstance(term, Literal):
        return str(term)
    text = str(term)
    for prefix, iri in (("mm:", "https://w3id.org/mmkb/vocab#"), ("id:", "https://w3id.org/mmkb/id/")):
        if text.startswith(iri):
            return prefix + text[len(iri) :]
    return text


def _table(names: list[str], rows: list[list[str]]) -> str:
    widths = [max([len(n), *(len(r[i]) for r in rows)]) for i, n in enumerate(names)]
    lines = ["  ".join(n.ljust(w) for n, w in zip(names, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines)


# ---------------------------------------------------------------- parser


def _with_kb(p: argparse.ArgumentParser) -> None:
    p.add_argument("--kb", nargs="+", metavar="PATH", help="curated files to use instead of the shipped ones")
    p.add_argument("--location", default=None, help="where the graph lives: memory (default) or oxigraph:DIR")


def _with_selection(p: argparse.ArgumentParser) -> None:
    p.add_argument("--by", default="refractory-status", choices=[*GROUPINGS, *PATIENT_ATTRIBUTES])
    p.add_argument("--threshold", default="PR", choices=list(THRESHOLDS))
    p.add_argument("--ci", default="clopper-pearson", choices=list(CI_METHODS))
    p.add_argument("--pool", action="store_true", help="pooled estimate where the pooling conditions hold")
    p.add_argument("--allow-retrospective", action="store_true", help="let retrospective studies be pooled")
    p.add_argument(
        "--drug",
        help="only regimens with this drug, by label, synonym or identifier, any case "
        "(e.g. pom, Pomalidomide)",
    )
    p.add_argument(
        "--drug-class",
        help="only regimens with a drug of this class, by label, notation or identifier (e.g. imid)",
    )
    p.add_argument(
        "--refractory",
        help="comma-separated drugs or classes the population is refractory to at least; "
        "a class is met by any of its drugs (e.g. daratumumab, or ProteasomeInhibitor,IMiD)",
    )
    p.add_argument("--design", help="only this study design, by label or identifier (e.g. phase-2)")
    p.add_argument("--min-n", type=int, default=0)
    p.add_argument("--out", metavar="FILE")
    _with_kb(p)


def _add_curation_commands(sub: argparse._SubParsersAction) -> None:
    """The curation commands: validate, export, provenance check, show claim or study, conflicts, lint."""
    p = sub.add_parser("validate", help="validate the shipped knowledge base or the given files")
    p.add_argument("paths", nargs="*", metavar="PATH")
    p.add_argument("--kb", nargs="+", metavar="PATH", help="the files to validate (same as PATH ...)")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("export", help="write the whole graph, ontology included")
    p.add_argument("--format", choices=list(RDF_FORMATS), default="turtle")
    p.add_argument("--out", metavar="FILE")
    _with_kb(p)
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("provenance", help="provenance checks")
    prov = p.add_subparsers(dest="provenance_command", required=True, parser_class=_Parser)
    c = prov.add_parser("check", help="check every quote selector citing a source text against it")
    c.add_argument("--source", required=True, metavar="FILE")
    _with_kb(c)
    c.set_defaults(func=cmd_provenance_check)

    p = sub.add_parser("show", help="show a record with its provenance")
    show = p.add_subparsers(dest="show_command", required=True, parser_class=_Parser)
    c = show.add_parser("claim", help="a claim and how its number was obtained (records counted, inputs)")
    c.add_argument("claim", metavar="ID", help="the claim's id (e.g. count-athens-all-PR-or-better)")
    c.add_argument("--format", choices=["text", "json"], default="text")
    _with_kb(c)
    c.set_defaults(func=cmd_show_claim)
    c = show.add_parser("study", help="a study: design, publications, cohorts, regimens, outcome claims")
    c.add_argument("study", metavar="ID", help="the study's id (e.g. study-pollux)")
    c.add_argument("--format", choices=["text", "json"], default="text")
    _with_kb(c)
    c.set_defaults(func=cmd_show_study)

    p = sub.add_parser("conflicts", help="the conflict findings and the claims each involves")
    p.add_argument("--format", choices=["text", "json"], default="text")
    _with_kb(p)
    p.set_defaults(func=cmd_conflicts)

    p = sub.add_parser("lint", help="check (or --fix) canonical formatting of the curated files")
    p.add_argument("--fix", action="store_true")
    p.add_argument("paths", nargs="*", metavar="PATH")
    p.set_defaults(func=cmd_lint)


def _add_query_commands(sub: argparse._SubParsersAction) -> None:
    """The query commands: query, serve, questions."""
    p = sub.add_parser("query", help="run a SPARQL query: a .rq file, the query text, or a named question")
    p.add_argument("query", nargs="?", metavar="FILE.rq|SPARQL")
    p.add_argument("--name", metavar="QUESTION", help="a named competency question (see `mmkb questions`)")
    p.add_argument("--format", choices=["table", "csv", "json", "turtle"], default="table")
    _with_kb(p)
    p.set_defaults(func=cmd_query)

    p = sub.add_parser("serve", help="run the HTTP service (REST, SPARQL endpoint, web page) with uvicorn")
    # The service's settings (api.settings) are the one thing the CLI takes from the service layer.
    from api.settings import add_options

    add_options(p)
    p.add_argument(
        "--kb", nargs="+", metavar="PATH", help="curated files to serve instead of the shipped ones"
    )
    p.add_argument(
        "--data", nargs="+", metavar="FILE", help="any RDF files to serve (Turtle, N-Triples, JSON-LD, TriG)"
    )
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("questions", help="list the named competency questions")
    p.set_defaults(func=cmd_questions)


def _add_analysis_commands(sub: argparse._SubParsersAction) -> None:
    """The analysis commands: compare, plot, network."""
    p = sub.add_parser("compare", help="comparison tables")
    comp = p.add_subparsers(dest="compare_command", required=True, parser_class=_Parser)
    c = comp.add_parser("response-rate", help="response rates by refractory status, regimen, design, ...")
    _with_selection(c)
    c.add_argument("--format", default="md", choices=list(FORMATS))
    c.set_defaults(func=cmd_compare)

    p = sub.add_parser("plot", help="plots")
    plots = p.add_subparsers(dest="plot_command", required=True, parser_class=_Parser)
    c = plots.add_parser("forest", help="forest plot (SVG) of the response-rate comparison")
    _with_selection(c)
    c.set_defaults(func=cmd_plot_forest)

    p = sub.add_parser("network", help="networkx views: regimen network or citation network")
    p.add_argument("--kind", required=True, choices=["regimens", "citations"])
    p.add_argument("--format", default="json", choices=["graphml", "json", "svg"])
    p.add_argument("--out", metavar="FILE")
    _with_kb(p)
    p.set_defaults(func=cmd_network)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="mmkb", description="Literature-evidence knowledge base for multiple-myeloma therapy."
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _add_curation_commands(sub)
    _add_query_commands(sub)
    _add_analysis_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from kb.analysis.response_table import OptionError
    from kb.graph.store import LocationError
    from kb.knowledge_base import LoadFailed

    try:
        return int(args.func(args))
    except LoadFailed as exc:
        for error in exc.errors:
            print(f"error: {error}", file=sys.stderr)
        return 1
    except (LocationError, OptionError, KeyError, ValueError, OSError) as exc:
        print(f"mmkb: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
