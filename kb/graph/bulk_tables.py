"""The knowledge base as bulk CSV tables in one zip, with a data dictionary (mmkb export --format tables)."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rdflib import Literal

from kb.links import doi_url, pubmed_url, registry_url
from kb.namespaces import ID_IRI, PREFIXES, curie, prefixed
from kb.queries import query_text

if TYPE_CHECKING:
    from rdflib.term import Node

    from kb.graph.store import GraphStore

DICTIONARY = "data-dictionary.csv"


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # identifier, text, integer, decimal, boolean, date-time, number, url
    description: str
    # A url column: the column whose identifier it links, and where that identifier resolves.
    link: tuple[str, Callable[[str], str]] | None = None


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: tuple[Column, ...]

    @property
    def query(self) -> str:
        return f"tables-{self.name}"


def _c(name: str, kind: str, description: str) -> Column:
    return Column(name, kind, description)


def _id(name: str, description: str) -> Column:
    """A column of curated records, each as its id:NAME CURIE."""
    return Column(name, "identifier", f"{description} (id:NAME, which dereferences at {ID_IRI}NAME)")


def _url(name: str, of: str, resolve: Callable[[str], str], description: str) -> Column:
    """The link of the identifier in column `of` (empty where it is empty)."""
    return Column(name, "url", description, (of, resolve))


TABLES: tuple[Table, ...] = (
    Table(
        "studies",
        "One row per study and registry number.",
        (
            _id("study", "the study"),
            _c("label", "text", "the study's name"),
            _c("design", "identifier", "its design (mm:...)"),
            _c("evidence_rank", "integer", "the design's evidence rank (1 is strongest)"),
            _c("nct_id", "text", "a ClinicalTrials.gov number"),
            _url("registry_url", "nct_id", registry_url, "the study's ClinicalTrials.gov page (of nct_id)"),
        ),
    ),
    Table(
        "cohorts",
        "One row per cohort (arm, subgroup, patient group) and size claim.",
        (
            _id("cohort", "the cohort"),
            _id("study", "the study it belongs to"),
            _c("label", "text", "the cohort's name"),
            _id("parent", "the nearest cohort it is a subgroup of"),
            _c("eligibility", "text", "the inclusion criteria as the source states them"),
            _c("min_prior_lines", "integer", "the fewest prior lines of therapy the criteria allow"),
            _c("size", "integer", "the number of patients, as the size claim counts it"),
            _c("size_status", "identifier", "reported, or the typed unknown in place of the size"),
            _id("size_claim", "the claim the size comes from (a row of claims.csv)"),
        ),
    ),
    Table(
        "populations",
        "The drug sets that define each cohort's population, one row per member of a set.",
        (
            _id("cohort", "the cohort (a row of cohorts.csv)"),
            _c(
                "relation",
                "identifier",
                "mm:definingRefractoriness (refractory to every member), mm:refractoryToExactlyOneOf, "
                "mm:refractoryToAtLeastOneOf, or mm:definingExposure (naive to every member)",
            ),
            _id("drug_set", "the drug set"),
            _c("member", "identifier", "a drug, or a drug class meaning one or more drugs of it"),
            _c("member_label", "text", "the member's name"),
        ),
    ),
    Table(
        "patients",
        "Individually reported patients, one row per cohort the patient is a member of.",
        (
            _id("patient", "the patient"),
            _c("label", "text", "the source's label for the patient"),
            _id("cohort", "a cohort the patient belongs to"),
        ),
    ),
    Table(
        "regimens",
        "Regimens, one row per component.",
        (
            _id("regimen", "the regimen"),
            _c("label", "text", "the regimen's name"),
            _c("abbreviation", "text", "its usual abbreviation"),
            _id("component", "a component of the regimen"),
            _c("drug", "identifier", "the component's drug"),
            _c("drug_label", "text", "the drug's name"),
            _c("schedule", "identifier", "the component's schedule"),
        ),
    ),
    Table(
        "measurements",
        "Every numeric value a claim states, or the typed unknown in its place; one row per value.",
        (
            _id("claim", "the claim (a row of claims.csv)"),
            _id("about", "what the claim is about (cohort, patient, regimen ...)"),
            _c("measures", "identifier", "the quantity measured (mm:...)"),
            _c("property", "identifier", "which value of the claim (mm:numerator, mm:percent ...)"),
            _c("value", "number", "the value as printed; empty when status is a typed unknown"),
            _c("datatype", "identifier", "the value's XML Schema type (xsd:integer, xsd:decimal)"),
            _c(
                "status",
                "identifier",
                "reported, or the typed unknown the source leaves (mm:NotReported, mm:NotReached, ...)",
            ),
            _c("unit", "identifier", "the unit of the value where the claim has one (mm:months ...)"),
        ),
    ),
    Table(
        "claims",
        "Every claim with its provenance, one row per piece of evidence.",
        (
            _id("claim", "the claim"),
            _id("about", "what the claim is about"),
            _id("source", "the publication that makes the claim"),
            _c("derivation", "identifier", "reported, or how the value was derived (mm:...)"),
            _c("verification", "identifier", "how the value was checked against the source (mm:...)"),
            _id("curator", "who curated the claim"),
            _c("curated_at", "date-time", "when the curation ended"),
            _c("evidence_kind", "text", "quote (prose) or table (a table cell)"),
            _id("document", "the document the evidence is in"),
            _c("quote", "text", "the exact words quoted"),
            _c("quote_prefix", "text", "the text just before the quote"),
            _c("quote_suffix", "text", "the text just after the quote"),
            _c("table", "text", "the table the cell is in"),
            _c("table_row", "text", "the cell's row label"),
            _c("table_column", "text", "the cell's column label"),
            _c("source_doi", "text", "the source publication's DOI"),
            _url("source_doi_url", "source_doi", doi_url, "the source's DOI at doi.org"),
            _c("source_pmid", "text", "the source publication's PubMed id"),
            _url("source_pubmed_url", "source_pmid", pubmed_url, "the source's PubMed page"),
        ),
    ),
    Table(
        "conflicts",
        "Conflict findings of the integrity rules, one row per record a finding involves.",
        (
            _id("conflict", "the finding"),
            _c("rule", "identifier", "the integrity rule that found it"),
            _id("record", "a claim or record the finding involves"),
            _c("message", "text", "what disagrees, in words"),
        ),
    ),
)


_CELL_PREFIXES = {p: PREFIXES[p] for p in ("mm", "id", "xsd", "oa", "prov", "skos")}


def cell(term: Node | None) -> str:
    """A value as printed: IRIs as CURIEs where mmkb has a prefix, literals as their lexical form."""
    if term is None:
        return ""
    if isinstance(term, Literal):
        return str(term)
    return prefixed(term, _CELL_PREFIXES) or curie(term)


def rows(store: GraphStore, table: Table) -> list[list[str]]:
    """The table's rows, in the query's order, with no row repeated; a url column the link of the
    identifier its row gives."""
    out: list[list[str]] = []
    seen: set[tuple[str, ...]] = set()
    for row in store.select(query_text(table.query)):
        values = [
            column.link[1](cell(row.get(column.link[0]))) if column.link else cell(row.get(column.name))
            for column in table.columns
        ]
        key = tuple(values)
        if key not in seen:
            seen.add(key)
            out.append(values)
    return out


def _csv(header: list[str], body: list[list[str]]) -> bytes:
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(body)
    return text.getvalue().encode("utf-8")


def dictionary() -> list[list[str]]:
    """The data dictionary: one row per column of every table, with what a row of the table is."""
    return [
        [f"{table.name}.csv", column.name, column.kind, column.description, table.description]
        for table in TABLES
        for column in table.columns
    ]


def tables_zip(store: GraphStore) -> bytes:
    """Every table as a UTF-8 CSV with a header row, plus the data dictionary, in one zip."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for table in TABLES:
            body = rows(store, table)
            archive.writestr(_entry(f"{table.name}.csv"), _csv([c.name for c in table.columns], body))
        header = ["file", "column", "type", "description", "table"]
        archive.writestr(_entry(DICTIONARY), _csv(header, dictionary()))
    return buffer.getvalue()


def _entry(name: str) -> zipfile.ZipInfo:
    # A fixed timestamp: the same knowledge base always gives the same bytes.
    info = zipfile.ZipInfo(f"mmkb-tables/{name}", date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    return info
