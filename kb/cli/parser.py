"""The mmkb argument parser: the sub-commands, their options and the command each one runs."""

from __future__ import annotations

import argparse

# Only what the parser needs is imported here: the option lists. A command imports the graph, the
# reasoning and the analysis it uses when it runs, so `mmkb --help` and a mistyped option answer at once.
from kb.analysis.endpoint_table import ENDPOINTS, PROPORTION
from kb.analysis.options import CHOICES
from kb.analysis.response_table import CI_METHODS, GROUPINGS, PATIENT_ATTRIBUTES, THRESHOLDS
from kb.cli import commands
from kb.graph.export import RDF_FORMATS
from kb.render.tables import FORMATS


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: what was wrong and what is valid, no usage dump."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}\n")


# What --out of a drawing takes (kb.render.image_formats).
IMAGE_OUT_HELP = (
    "the file to write, as SVG, PNG or PDF by its suffix (.svg, .png, .pdf); default: SVG on stdout"
)

# Where a command finds its knowledge base when it is given none (kb.paths.working_kb).
KB_DEFAULT = "MMKB_KB, else the kb/data of the mmkb checkout you are in, else the shipped copy"


def _kb_option(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument(
        "--kb",
        nargs="+",
        metavar="DIR|FILE",
        help=f"{what}: folders (their *.ttl files, recursively) or files in any RDF format "
        f"(default: {KB_DEFAULT})",
    )


def _with_kb(p: argparse.ArgumentParser) -> None:
    _kb_option(p, "the knowledge base to read")
    p.add_argument("--location", default=None, help="where the graph lives: memory (default) or oxigraph:DIR")
    p.add_argument(
        "--store",
        metavar="STORE",
        help="a built store to read instead of loading, validating and reasoning: a folder (mmkb build "
        "--store DIR) or a SPARQL server (mmkb build --store sparql+http://HOST:PORT/PATH)",
    )


def _with_selection(p: argparse.ArgumentParser, out_help: str | None = None) -> None:
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
    p.add_argument("--out", metavar="FILE", help=out_help)
    _with_kb(p)


def _add_curation_commands(sub: argparse._SubParsersAction) -> None:
    """The curation commands: validate, export, provenance check, show claim or study, conflicts, lint."""
    p = sub.add_parser("validate", help="validate the working knowledge base, or the given folders and files")
    p.add_argument("paths", nargs="*", metavar="DIR|FILE", help="the same as --kb")
    _kb_option(p, "the knowledge base to validate")
    p.set_defaults(func=commands.cmd_validate)

    p = sub.add_parser(
        "build",
        help="validate and reason the curated files once, into a store every command and serve can --store",
        description="Loads, validates (what mmkb validate checks) and reasons the working knowledge base "
        "(--kb, MMKB_KB, the checkout's kb/data, the shipped copy) into a new on-disk store beside DIR, "
        "then makes DIR point to it; or into a SPARQL 1.1 server, a named graph per file, rewriting only "
        "the graphs that changed. A build that fails exits 1 with one line per problem (file, line, "
        "record) and writes nothing.",
    )
    p.add_argument(
        "--store",
        required=True,
        metavar="STORE",
        help="DIR, a link to its current build, or sparql+http(s)://HOST:PORT/PATH[?update=..&gsp=..] "
        "(credentials: MMKB_SPARQL_USER, MMKB_SPARQL_PASSWORD)",
    )
    _kb_option(p, "the knowledge base to build")
    p.set_defaults(func=commands.cmd_build)

    p = sub.add_parser(
        "export",
        help="write the knowledge base: asserted statements, the ontology and the inferred statements",
        description="Dataset formats (trig, nquads, jsonld) keep one named graph per curated file, the "
        "ontology's graphs and the inferred graph; triple formats merge them. The first line says what "
        "the export holds. mmkb reads every export back (--kb, serve --data) without counting twice.",
    )
    p.add_argument(
        "--format",
        choices=[*RDF_FORMATS, "sheet", "tables", "fhir"],
        default="turtle",
        help="an RDF format; sheet: the curated files as an extraction workbook (--out FILE.xlsx, or "
        "--out DIR for one CSV per tab), which mmkb import sheet reads back; tables: studies, cohorts, "
        "populations, patients, regimens, measurements, claims and conflicts as CSV files with a data "
        "dictionary, in one zip (--out FILE.zip); fhir: every cohort-level figure as a FHIR R5 Evidence, "
        "with the Groups, EvidenceVariables and Citations it refers to, in one Bundle (JSON)",
    )
    p.add_argument("--out", metavar="FILE")
    p.add_argument(
        "--asserted-only",
        action="store_true",
        help="leave out the inferred statements (count reconstruction, record counts, conflict findings)",
    )
    p.add_argument("--no-ontology", action="store_true", help="leave out the ontology")
    _with_kb(p)
    p.set_defaults(func=commands.cmd_export)

    p = sub.add_parser("provenance", help="provenance checks")
    prov = p.add_subparsers(dest="provenance_command", required=True, parser_class=_Parser)
    c = prov.add_parser("check", help="check every quote selector citing a source text against it")
    c.add_argument("--source", required=True, metavar="FILE")
    _with_kb(c)
    c.set_defaults(func=commands.cmd_provenance_check)

    p = sub.add_parser("show", help="show a record with its provenance")
    show = p.add_subparsers(dest="show_command", required=True, parser_class=_Parser)
    c = show.add_parser("claim", help="a claim and how its number was obtained (records counted, inputs)")
    c.add_argument("claim", metavar="ID", help="the claim's id (e.g. count-athens-all-PR-or-better)")
    c.add_argument("--format", choices=["text", "json"], default="text")
    _with_kb(c)
    c.set_defaults(func=commands.cmd_show_claim)
    c = show.add_parser("study", help="a study: design, publications, cohorts, regimens, outcome claims")
    c.add_argument("study", metavar="ID", help="the study's id (e.g. study-pollux)")
    c.add_argument("--format", choices=["text", "json"], default="text")
    _with_kb(c)
    c.set_defaults(func=commands.cmd_show_study)

    p = sub.add_parser("conflicts", help="the conflict findings and the claims each involves")
    p.add_argument("--format", choices=["text", "json"], default="text")
    _with_kb(p)
    p.set_defaults(func=commands.cmd_conflicts)

    p = sub.add_parser("lint", help="check (or --fix) canonical formatting of the curated files")
    p.add_argument("--fix", action="store_true")
    p.add_argument(
        "paths", nargs="*", metavar="DIR|FILE", help=f"the Turtle files to check (default: {KB_DEFAULT})"
    )
    p.set_defaults(func=commands.cmd_lint)


def _add_query_commands(sub: argparse._SubParsersAction) -> None:
    """The query commands: query, serve, questions."""
    p = sub.add_parser("query", help="run a SPARQL query: a .rq file, the query text, or a named question")
    p.add_argument("query", nargs="?", metavar="FILE.rq|SPARQL")
    p.add_argument("--name", metavar="QUESTION", help="a named competency question (see `mmkb questions`)")
    p.add_argument("--format", choices=["table", "csv", "json", "turtle"], default="table")
    _with_kb(p)
    p.set_defaults(func=commands.cmd_query)

    p = sub.add_parser("serve", help="run the HTTP service (REST, SPARQL endpoint, web page) with uvicorn")
    # The service's settings (api.settings) are the one thing the CLI takes from the service layer.
    from api.settings import add_options

    add_options(p)
    _kb_option(p, "the knowledge base to serve")
    p.add_argument(
        "--data",
        nargs="+",
        metavar="DIR|FILE",
        help="any RDF files to serve (Turtle, N-Triples, JSON-LD, TriG), with those of --kb",
    )
    p.set_defaults(func=commands.cmd_serve)

    p = sub.add_parser("questions", help="list the named competency questions")
    p.set_defaults(func=commands.cmd_questions)


def _add_analysis_commands(sub: argparse._SubParsersAction) -> None:
    """The analysis commands: compare, plot, network."""
    p = sub.add_parser("compare", help="comparison tables")
    comp = p.add_subparsers(dest="compare_command", required=True, parser_class=_Parser)
    c = comp.add_parser("response-rate", help="response rates by refractory status, regimen, design, ...")
    _with_selection(c)
    c.add_argument("--format", default="md", choices=list(FORMATS))
    c.set_defaults(func=commands.cmd_compare, endpoint="response")
    for endpoint in (ENDPOINTS[name] for name in CHOICES["endpoint"]):
        what = "counts, rates and exact intervals" if endpoint.kind == PROPORTION else "never pooled"
        c = comp.add_parser(
            endpoint.name,
            help=f"{endpoint.label} per cohort and data cut ({what})",
            description=f"The comparison of {endpoint.label}. --threshold, --pool and --allow-retrospective "
            "apply to response only; --ci to the proportions.",
        )
        _with_selection(c)
        c.add_argument("--format", default="md", choices=list(FORMATS))
        c.set_defaults(func=commands.cmd_compare, endpoint=endpoint.name)

    p = sub.add_parser("plot", help="plots")
    plots = p.add_subparsers(dest="plot_command", required=True, parser_class=_Parser)
    c = plots.add_parser(
        "forest", help="forest plot (SVG, PNG or PDF) of a comparison: response rates, or --endpoint"
    )
    _with_selection(c, IMAGE_OUT_HELP)
    c.add_argument(
        "--endpoint",
        default="response",
        choices=list(CHOICES["endpoint"]),
        help="the endpoint compared (default response, with a hazard-ratio panel)",
    )
    c.set_defaults(func=commands.cmd_plot_forest)

    p = sub.add_parser("network", help="networkx views: regimen network or citation network")
    p.add_argument("--kind", required=True, choices=["regimens", "citations"])
    p.add_argument(
        "--format",
        default="json",
        choices=["graphml", "json", "svg"],
        help="svg: a drawing, written as SVG, PNG or PDF according to --out's suffix",
    )
    p.add_argument(
        "--out",
        metavar="FILE",
        help=f"the file to write (default: stdout); with --format svg, {IMAGE_OUT_HELP}",
    )
    _with_kb(p)
    p.set_defaults(func=commands.cmd_network)


def _add_synth_command(sub: argparse._SubParsersAction) -> None:
    """mmkb synth: a synthetic knowledge base of any size, for benchmarks and tests at scale."""
    p = sub.add_parser(
        "synth",
        help="write a synthetic knowledge base of N fictional studies (Turtle or N-Triples)",
        description="Fictional studies shaped like the curated ones (arms and subgroups, refractory "
        "populations, regimens, responses, medians, hazard ratios, patients, provenance), in a file that "
        "mmkb validate and every --kb option read. The same seed gives the same bytes.",
    )
    p.add_argument("--studies", type=int, required=True, metavar="N", help="how many studies")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--out", required=True, metavar="FILE", help="the file to write: .ttl (Turtle) or .nt")
    p.set_defaults(func=commands.cmd_synth)


def _add_diff_command(sub: argparse._SubParsersAction) -> None:
    """mmkb diff: what changed between two versions of a knowledge base."""
    p = sub.add_parser(
        "diff",
        help="what changed between two versions of a knowledge base: records, findings, comparison rows",
        description="OLD and NEW are each a folder of curated files, one file, or a git revision of the "
        "repository the command runs in (its kb/data at that revision). Lists the studies, claims and other "
        "records added, removed and changed, the conflict findings that appeared or went, and the "
        "response-rate comparison rows whose counts, rates or intervals changed.",
    )
    p.add_argument("old", metavar="OLD", help="folder, file or git revision")
    p.add_argument("new", metavar="NEW", help="folder, file or git revision")
    p.add_argument("--format", default="md", choices=["md", "json"], help="Markdown (default) or JSON")
    p.add_argument("--out", metavar="FILE")
    p.set_defaults(func=commands.cmd_diff)


def _add_sheet_commands(sub: argparse._SubParsersAction) -> None:
    """mmkb import sheet and mmkb new: curation from extraction sheets and skeletons."""
    p = sub.add_parser("import", help="import curated records: an extraction sheet")
    kinds = p.add_subparsers(dest="import_command", required=True, parser_class=_Parser)
    c = kinds.add_parser(
        "sheet",
        help="an extraction sheet (XLSX, CSV, or a folder of CSV) to canonical Turtle, one file per study",
        description="Reads the workbook (the template of docs/extraction-template.md), turns it into one "
        "canonical Turtle file per study (and the bibliography or curators where it has such rows), and "
        "validates them with the rest of the knowledge base. Every problem is printed as file, tab, row and "
        "column with what to write; if there is any, nothing is written.",
    )
    c.add_argument("sheet", metavar="FILE", help="an .xlsx workbook, a .csv file, or a folder of .csv files")
    c.add_argument("--out", metavar="DIR", help="the knowledge base folder to write into (default: kb/data)")
    c.add_argument("--kb", nargs="+", metavar="PATH", help="the knowledge base the sheet joins")
    c.set_defaults(func=commands.cmd_import_sheet)

    p = sub.add_parser("new", help="start a study file or an extraction sheet")
    kinds = p.add_subparsers(dest="new_command", required=True, parser_class=_Parser)
    c = kinds.add_parser("study", help="a commented skeleton of a study file, for curators who write Turtle")
    c.add_argument("study", metavar="ID", help="the study's id (smith-2019 or study-smith-2019)")
    c.add_argument("--out", metavar="DIR", help="the knowledge base folder (default: kb/data)")
    c.set_defaults(func=commands.cmd_new_study)
    c = kinds.add_parser(
        "sheet", help="the empty extraction template (.xlsx with its data dictionary, or CSV)"
    )
    c.add_argument("path", metavar="FILE.xlsx|DIR", help="an .xlsx file, or a folder for one CSV per tab")
    c.set_defaults(func=commands.cmd_new_sheet)


def _add_docs_command(sub: argparse._SubParsersAction) -> None:
    """mmkb docs: documentation generated from the project's files."""
    p = sub.add_parser("docs", help="documentation generated from the project's files")
    kinds = p.add_subparsers(dest="docs_command", required=True, parser_class=_Parser)
    c = kinds.add_parser(
        "ontology",
        help="the vocabulary's documentation as static HTML: classes, properties, concept schemes, SHACL "
        "shapes, example records",
    )
    c.add_argument("--out", metavar="DIR", required=True, help="the folder to write index.html into")
    c.set_defaults(func=commands.cmd_docs_ontology)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="mmkb", description="Literature-evidence knowledge base for multiple-myeloma therapy."
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _add_curation_commands(sub)
    _add_query_commands(sub)
    _add_analysis_commands(sub)
    _add_synth_command(sub)
    _add_diff_command(sub)
    _add_sheet_commands(sub)
    _add_docs_command(sub)
    return parser
