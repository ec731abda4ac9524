"""What each mmkb sub-command does. A command imports the graph, the reasoning and the analysis it uses
when it runs, so that building the parser (kb.cli.parser) stays light."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rdflib.term import Node

    from api.settings import Settings
    from kb.analysis.endpoint_table import EndpointTable
    from kb.analysis.response_rate import Filters
    from kb.analysis.response_table import ComparisonTable
    from kb.knowledge_base import KnowledgeBase
    from kb.paths import WorkingKB


def _say(line: str) -> None:
    print(f"mmkb: {line}", file=sys.stderr)


def _files(count: int) -> str:
    return f"{count} file{'' if count == 1 else 's'}"


def working(given: Sequence[str | Path] | None) -> WorkingKB:
    """The knowledge base a command reads (kb.paths.working_kb), named on the first line of stderr before
    the command reads it."""
    from kb.paths import working_kb

    chosen = working_kb(given)
    _say(chosen.describe())
    return chosen


def built_store_line(kb: KnowledgeBase) -> str:
    """What a knowledge base opened from a build read: the build and how many curated files it was built
    from (its stamp's files, the ontology's left out)."""
    from kb.namespaces import ONTOLOGY_GRAPHS

    assert kb.built_from is not None
    stamp = kb.built_from.stamp
    curated = {path for graph, path in stamp.graphs.items() if not graph.startswith(ONTOLOGY_GRAPHS)}
    return f"built store: {kb.built_from.where} ({_files(len(curated))})"


def open_kb(
    given: Sequence[str | Path] | None, store: str | None, location: str | None = None
) -> KnowledgeBase:
    """The built `store` when one is given, else the working knowledge base (`given`, MMKB_KB, the
    checkout's kb/data, the shipped copy) loaded at `location`; the first line of stderr names it."""
    from kb.graph.store import Location
    from kb.knowledge_base import KnowledgeBase

    if store:
        if given or location:
            raise ValueError("--store reads a built store; --kb and --location load files: give one of them")
        kb = KnowledgeBase.from_store(store)
        _say(built_store_line(kb))
        return kb
    Location.parse(location)  # a location that cannot be used is the only line, before any is read
    return KnowledgeBase.open(list(working(given).files), location=location)


def _open_kb(args: argparse.Namespace) -> KnowledgeBase:
    return open_kb(getattr(args, "kb", None), getattr(args, "store", None), getattr(args, "location", None))


def _write(args: argparse.Namespace, text: str | bytes) -> None:
    data = text.encode("utf-8") if isinstance(text, str) else text
    if args.out:
        Path(args.out).write_bytes(data)
    else:
        sys.stdout.buffer.write(data)


def cmd_validate(args: argparse.Namespace) -> int:
    from kb.quality.validate import validate

    curated = working([*args.paths, *(args.kb or [])]).files
    report = validate(list(curated))
    for line in report.lines():
        print(line)
    errors = len(report.violations) + len(report.load_errors)
    print(
        f"{'valid' if report.valid else 'invalid'}: {_files(len(curated))} and the ontology, "
        f"{errors} errors, "
        f"{len(report.conflicts)} conflict warnings",
        file=sys.stderr,
    )
    return 0 if report.valid else 1


def cmd_build(args: argparse.Namespace) -> int:
    from kb.build import BuildFailed, build

    try:
        built = build(args.store, working(args.kb).files)
    except BuildFailed as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        count = f"{len(exc.problems)} error{'s' if len(exc.problems) != 1 else ''}"
        print(f"mmkb build: {count}; {args.store} left as it was", file=sys.stderr)
        return 1
    where = f"{args.store} -> {built.path}" if built.graphs is None else str(built.path)
    graphs = ""
    if built.graphs is not None:
        kept, replaced, dropped = built.graphs.kept, built.graphs.replaced, built.graphs.dropped
        graphs = f"; graphs: {kept} kept, {replaced} replaced, {dropped} dropped"
    print(
        f"mmkb build: {where}: {built.stamp.triples} triples from {len(built.stamp.files)} files, "
        f"{built.conflicts} conflict findings{graphs}, in {built.seconds:.2f} s",
        file=sys.stderr,
    )
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from kb.graph.export import export

    if args.format == "sheet":
        return _export_sheet(args)
    if args.format == "tables" and not args.out:
        print("mmkb export: --format tables writes a zip: give --out FILE.zip", file=sys.stderr)
        return 2
    kb = _open_kb(args)
    if args.format == "tables":
        from kb.graph.bulk_tables import tables_zip

        _write(args, tables_zip(kb.store))
        return 0
    if args.format == "fhir":
        from kb.render.fhir_bundle import fhir_json

        _write(args, fhir_json(kb))
        return 0
    parts = {"inferred": not args.asserted_only, "ontology": not args.no_ontology}
    _write(args, export(kb.store, args.format, **parts))
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
    from kb.reasoning.derivation import lines
    from kb.render.record_text import claim_lines

    claim = _open_kb(args).claim(args.claim)
    if claim is None or claim.how is None:
        print(f"mmkb show claim: no claim {args.claim!r}", file=sys.stderr)
        return 2
    if args.format == "json":
        print(json.dumps(asdict(claim.how), indent=2, ensure_ascii=False))
    else:
        print("\n".join([*lines(claim.how), "provenance:", *claim_lines(claim)]))
    return 0


def cmd_show_study(args: argparse.Namespace) -> int:
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
    from kb.render.record_text import conflict_lines

    conflicts = _open_kb(args).conflict_findings()
    if args.format == "json":
        print(json.dumps([asdict(c) for c in conflicts], indent=2, ensure_ascii=False))
    else:
        print("\n".join(conflict_lines(conflicts)))
    return 0


def cmd_lint(args: argparse.Namespace) -> int:
    from kb.paths import display_path
    from kb.quality.lint import FIX_COMMAND, lint

    results = lint(list(working(args.paths).files), fix=args.fix)
    bad = [r for r in results if not r.canonical]
    for result in bad:
        print(f"{display_path(result.path)}: not in canonical form; run `{FIX_COMMAND}`")
    if args.fix:
        print(f"{len(results)} files in canonical form", file=sys.stderr)
    return 1 if bad else 0


def cmd_query(args: argparse.Namespace) -> int:
    from kb.analysis.questions import question
    from kb.graph.store import result_rows
    from kb.namespaces import curie

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
    # For people (table), a curated record by its IRI, which a terminal follows; CURIEs in CSV and JSON.
    cell = _followable if args.format == "table" else curie
    rows = [[cell(row[n]) if n in row else "" for n in names] for row in result_rows(result)]
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


def _comparison(args: argparse.Namespace) -> tuple[KnowledgeBase, ComparisonTable | EndpointTable]:
    """The comparison of the command's endpoint (response unless named) under its options."""
    from kb.analysis.endpoints import compare

    kb = _open_kb(args)
    table = compare(
        kb,
        getattr(args, "endpoint", "response"),
        by=args.by,
        threshold=args.threshold,
        ci_method=args.ci,
        filters=_filters(args),
        pool=args.pool,
        allow_retrospective=args.allow_retrospective,
    )
    return kb, table


def cmd_compare(args: argparse.Namespace) -> int:
    from kb.render.tables import cited_publications, render

    kb, table = _comparison(args)
    _write(args, render(table, args.format, kb.publications(cited_publications(table))))
    return 0


def _write_drawing(args: argparse.Namespace, svg: str) -> None:
    """The drawing to --out in the format its suffix names (SVG, PNG, PDF), else as SVG on stdout."""
    from kb.render.image_formats import SVG, convert, image_format

    _write(args, convert(svg, image_format(args.out) if args.out else SVG))


def _drawing_out(args: argparse.Namespace) -> None:
    """Refuse an --out the drawing cannot be written to before anything is read."""
    from kb.render.image_formats import image_format

    if args.out:
        image_format(args.out)


def cmd_plot_forest(args: argparse.Namespace) -> int:
    from kb.analysis.endpoint_table import EndpointTable
    from kb.analysis.response_rate import hazard_ratio_rows
    from kb.render.forest_plot import forest_svg

    _drawing_out(args)
    kb, table = _comparison(args)
    if isinstance(table, EndpointTable) or args.endpoint != "response":
        _write_drawing(args, forest_svg(table))
    else:
        _write_drawing(args, forest_svg(table, hazard_ratio_rows(kb, table)))
    return 0


def cmd_network(args: argparse.Namespace) -> int:
    from kb.analysis.network import citation_network, regimen_network, to_graphml, to_node_link
    from kb.render.network_svg import to_svg

    if args.format == "svg":
        _drawing_out(args)
    kb = _open_kb(args)
    graph = regimen_network(kb) if args.kind == "regimens" else citation_network(kb)
    if args.format == "graphml":
        _write(args, to_graphml(graph))
    elif args.format == "json":
        _write(args, to_node_link(graph))
    else:
        _write_drawing(args, to_svg(graph, f"{args.kind} network"))
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    import tempfile

    from kb.analysis.diff import diff
    from kb.graph.versions import version_files
    from kb.knowledge_base import KnowledgeBase

    with tempfile.TemporaryDirectory(prefix="mmkb-diff-") as work:
        old_files = version_files(args.old, Path(work) / "old")
        new_files = version_files(args.new, Path(work) / "new")
        olds, news = _files(len(old_files)), _files(len(new_files))
        _say(f"knowledge base: old {args.old} ({olds}), new {args.new} ({news})")
        changes = diff(KnowledgeBase.open(old_files), KnowledgeBase.open(new_files), args.old, args.new)
    _write(args, changes.to_json() if args.format == "json" else changes.to_markdown())
    return 0


def serve_knowledge_base(args: argparse.Namespace) -> tuple[Settings, KnowledgeBase]:
    """What `mmkb serve` serves, under which settings: the built store of --store (or MMKB_STORE), else
    the working knowledge base of --kb and --data (else MMKB_KB, the checkout's kb/data, the shipped
    copy). The settings are read first: a bad one is the only line of stderr."""
    from api.settings import from_args

    settings = from_args(args)
    given = [*(args.kb or []), *(args.data or [])]
    if settings.store and given:
        raise ValueError("--store serves a built store; --kb and --data load files: give one of them")
    return settings, open_kb(given, settings.store)


def cmd_serve(args: argparse.Namespace) -> int:
    # The library never imports the web stack; only this command does.
    from api.app import create_app
    from api.http.server import run

    started = time.perf_counter()
    settings, kb = serve_knowledge_base(args)
    studies = kb.select("SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a mm:Study }")[0]["n"]
    how = f"opened from {kb.built_from.where}" if kb.built_from else "loaded"
    print(
        f"mmkb: {kb.triples()} triples, {studies} studies {how} in {time.perf_counter() - started:.2f} s; "
        f"serving at http://{settings.host}:{settings.port}/ (SPARQL at /sparql, API docs at /docs)",
        file=sys.stderr,
    )
    run(create_app(kb, settings), settings, log_level="info")
    return 0


def cmd_synth(args: argparse.Namespace) -> int:
    from kb.synth.writer import write

    written = write(Path(args.out), args.studies, args.seed)
    print(
        f"mmkb synth: {written.studies} studies, {written.triples} triples "
        f"({written.triples / written.studies:.0f} per study), {written.bytes} bytes written to "
        f"{written.path} in {written.seconds:.2f} s",
        file=sys.stderr,
    )
    return 0


def _followable(term: Node) -> str:
    """A value as `mmkb query` prints it for people: a curated record (id:NAME) by its IRI, which the
    service dereferences, other IRIs as CURIEs, literals as they are."""
    from rdflib import URIRef

    from kb.namespaces import ID_IRI, curie

    return str(term) if isinstance(term, URIRef) and str(term).startswith(ID_IRI) else curie(term)


def _table(names: list[str], rows: list[list[str]]) -> str:
    widths = [max([len(n), *(len(r[i]) for r in rows)]) for i, n in enumerate(names)]
    lines = ["  ".join(n.ljust(w) for n, w in zip(names, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines)


def _curated_paths(args: argparse.Namespace) -> list[Path]:
    return list(working(getattr(args, "kb", None)).files)


def _export_sheet(args: argparse.Namespace) -> int:
    from kb.curation.sheet_export import export_sheet

    if not args.out:
        print(
            "mmkb export: --format sheet needs --out FILE.xlsx, or --out DIR for CSV files", file=sys.stderr
        )
        return 2
    if args.store or args.location:
        print("mmkb export: --format sheet reads curated files (--kb), not a store", file=sys.stderr)
        return 2
    exported = export_sheet(_curated_paths(args), Path(args.out))
    rows = ", ".join(f"{n} {tab}" for tab, n in exported.rows.items())
    print(f"mmkb export: {exported.path}: {rows}", file=sys.stderr)
    return 0


def cmd_import_sheet(args: argparse.Namespace) -> int:
    from kb.curation.sheet_import import ImportFailed, import_sheet
    from kb.paths import display_path

    knowledge_base = working(args.kb)
    out = Path(args.out) if args.out else knowledge_base.writable_folder()
    try:
        imported = import_sheet(Path(args.sheet), out, list(knowledge_base.files))
    except ImportFailed as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        count = f"{len(exc.problems)} problem{'s' if len(exc.problems) != 1 else ''}"
        print(f"mmkb import sheet: {count}; nothing written", file=sys.stderr)
        return 1
    for path in imported.written:
        print(f"wrote {display_path(path)}")
    for path in imported.unchanged:
        print(f"unchanged {display_path(path)}")
    print(
        f"mmkb import sheet: {imported.sheet}: {len(imported.written)} files written, "
        f"{len(imported.unchanged)} unchanged, {len(imported.conflicts)} conflict warnings",
        file=sys.stderr,
    )
    return 0


def cmd_new_study(args: argparse.Namespace) -> int:
    from kb.curation.skeleton import skeleton, study_id
    from kb.paths import display_path

    folder = Path(args.out) if args.out else working(None).writable_folder()
    target = folder / "studies" / f"{study_id(args.study)}.ttl"
    if target.exists():
        print(
            f"mmkb new study: {display_path(target)} exists; edit it, or choose another id", file=sys.stderr
        )
        return 2
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(skeleton(args.study), encoding="utf-8")
    print(f"wrote {display_path(target)}: fill in every FILL-IN, then run `mmkb validate`")
    return 0


def cmd_new_sheet(args: argparse.Namespace) -> int:
    from kb.curation.sheet_export import blank_template

    blank_template(Path(args.path))
    print(f"wrote {args.path}: the extraction template (docs/extraction-template.md describes each column)")
    return 0


def cmd_docs_ontology(args: argparse.Namespace) -> int:
    from kb.paths import display_path
    from kb.render.ontology_docs import write_ontology_docs

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        print(f"mmkb docs ontology: {args.out} is a file; give a folder for --out", file=sys.stderr)
        return 2
    try:
        written = write_ontology_docs(out)
    except OSError as error:
        print(
            f"mmkb docs ontology: cannot write into {args.out}: {error.strerror}; choose another --out",
            file=sys.stderr,
        )
        return 2
    print(f"wrote {', '.join(display_path(path) for path in written)}: open {display_path(written[0])}")
    return 0
