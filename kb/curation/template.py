"""The extraction template: its tabs, their columns and what each column holds (the data dictionary).

A workbook has one tab per kind of record; a row is a record, a column one property of it. The `figures`
tab holds one row per outcome figure (every claim), with its first piece of evidence (quote or table
cell) in the row; more evidence goes to the `evidence` tab. A row names its study: each study is written
to its own file (studies/<study id without "study-">.ttl); a bibliographic row with no study goes to
publications/bibliography.ttl, a curator to agents.ttl.
"""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import URIRef
from rdflib.namespace import DCTERMS, PROV, RDFS

from kb.namespaces import BIBO, MM, OA

# What a cell holds; kb.curation.cells reads and writes each kind.
RECORD = "record"  # a curated record, by its id without the id: prefix (sirius-dara16)
TERM = "term"  # a vocabulary term, by its name without the mm: prefix (PR, daratumumab, NotReported)
VALUE = "value"  # a number as printed (31, 29.2), true/false, or a typed unknown (not reported, NE, ...)
TEXT = "text"  # text as printed
BOOLEAN = "boolean"  # true or false
URL = "url"  # a web address
DATE_TIME = "dateTime"  # 2026-11-24T00:00:00Z
DATE = "date"  # 2016-10-06
YEAR = "gYear"  # 2016
TEXT_LIST = "list"  # an ordered list of texts (authors), separated by " | "

KINDS = {
    RECORD: "the id of a record, without `id:` (e.g. `sirius-dara16`)",
    TERM: "a vocabulary term, without `mm:` (e.g. `PR`, `daratumumab`, `months`)",
    VALUE: "a number as printed (`31`, `29.2`), `true`/`false`, or a typed unknown: `not reported`, "
    "`lost in extraction`, `not reached`, `not estimable` (`NE`), `not applicable`",
    TEXT: 'text, verbatim (`""`: a text that is empty)',
    BOOLEAN: "`true` or `false`",
    URL: "a web address (`https://...`)",
    DATE_TIME: "a date and time, `2026-11-24T00:00:00Z`",
    DATE: "a date, `2016-10-06`",
    YEAR: "a year, `2016`",
    TEXT_LIST: "an ordered list of texts separated by ` | `",
}
SEPARATOR = " | "  # between the values of a column that holds several


@dataclass(frozen=True)
class Column:
    name: str
    predicate: URIRef | None  # None: the tab's own columns (id, type, study, file, the evidence columns)
    kind: str
    doc: str
    many: bool = False  # several values, separated by " | "
    required: bool = False


@dataclass(frozen=True, eq=False)
class Tab:
    name: str
    doc: str
    types: dict[str, URIRef]  # the `type` column's values; one type means the tab has no type column
    columns: tuple[Column, ...]
    default_file: str | None = None  # where a row with no study goes (None: rows must name their study)
    id_column: str = "id"
    has_evidence: bool = False  # the figure's first evidence in the row

    @property
    def type_column(self) -> bool:
        return len(self.types) > 1

    def header(self) -> list[str]:
        head = [self.id_column]
        if self.type_column:
            head.append("type")
        if self.name != "curation" and self.id_column != "study":
            head.append("study")
        head += [c.name for c in self.columns]
        if self.has_evidence:
            head += [c.name for c in EVIDENCE_COLUMNS]
        return head

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


def _c(
    name: str, predicate: URIRef | None, kind: str, doc: str, *, many: bool = False, required: bool = False
) -> Column:
    return Column(name, predicate, kind, doc, many, required)


_LABEL = _c("label", RDFS.label, TEXT, "the name shown for the record", required=True)
_NOTE = _c("curator_note", MM.curatorNote, TEXT, "what a reader needs to know about the record")
_SOURCE_URL = _c("source_url", MM.sourceUrl, URL, "where the record can be read")

# The evidence of a claim: a text quote or a table cell in a source. In the figures tab these columns
# hold the figure's first evidence; the evidence tab holds every further one.
EVIDENCE_COLUMNS = (
    Column("evidence_source", OA.hasSource, RECORD, "the document quoted (empty: the figure's source)"),
    Column("evidence_url", MM.sourceUrl, URL, "the address the figure was read at (digest figures)"),
    Column("quote", OA.exact, TEXT, "the verbatim text that states the figure"),
    Column("quote_prefix", OA.prefix, TEXT, "text just before the quote, where the quote occurs twice"),
    Column("quote_suffix", OA.suffix, TEXT, "text just after the quote, where the quote occurs twice"),
    Column("table", MM.table, TEXT, "the table, as printed (Table 1); instead of a quote"),
    Column("row_label", MM.rowLabel, TEXT, "the table row's label, as printed"),
    Column(
        "column_label", MM.columnLabel, TEXT, "the table column's label, as printed (empty: the whole row)"
    ),
)

_CLAIM_TYPES = {
    name: MM[name]
    for name in (
        "Proportion",
        "Count",
        "TimeToEventMedian",
        "TimeToEventValue",
        "SummaryStatistic",
        "HazardRatio",
        "RiskReduction",
        "LandmarkRate",
        "Quantity",
        "Observation",
        "ResponseAssessment",
        "Refractoriness",
        "Treatment",
        "UnassignedRowValues",
    )
}

FIGURES = Tab(
    "figures",
    "One row per outcome figure (every claim a source makes), with its source and first evidence.",
    _CLAIM_TYPES,
    (
        _c("about", MM.about, RECORD, "the cohort, patient or study the figure is about", required=True),
        _c(
            "cohort_size",
            None,
            TEXT,
            "for reading: the cohort's size figures (an import checks a filled cell)",
        ),
        _c("regimen", None, TEXT, "for reading: the regimen, drug dose unit (schedule) + ... (checked)"),
        _c("refractory_set", None, TEXT, "for reading: the drugs the cohort is refractory to (checked)"),
        _c("source", MM.source, RECORD, "the publication making the claim (pub-...)", required=True),
        _c("data_cut", MM.atDataCut, RECORD, "the data cut the figure belongs to"),
        _c(
            "outcome",
            MM.measures,
            TERM,
            "what is measured: Response, CohortSize, ProgressionFreeSurvival, ...",
        ),
        _c("threshold", MM.responseThreshold, TERM, "response: this category or better (PR, VGPR, ...)"),
        _c("category", MM.responseCategory, TERM, "response: exactly this category"),
        _c("with_property", MM.withProperty, RECORD, "refractoriness proportion: the drug set"),
        _c("adverse_event", MM.adverseEvent, TERM, "adverse-event proportion: the event"),
        _c("to_regimen", MM.toRegimen, RECORD, "the regimen the figure is about, when not the cohort's own"),
        _c("compared_to", MM.comparedTo, RECORD, "the comparator arm (hazard ratio, risk reduction)"),
        _c("numerator", MM.numerator, VALUE, "patients with the outcome, as printed"),
        _c("denominator", MM.denominator, VALUE, "patients the percentage is of, as printed"),
        _c("percent", MM.percent, VALUE, "the percentage as printed, same precision"),
        _c("hedged", MM.hedged, BOOLEAN, "true for a hedged figure (~90%, nearly 35%)"),
        _c("count_origin", MM.countOrigin, TERM, "CountReported (printed) or CountReconstructed (counted)"),
        _c("count", MM["count"], VALUE, "a count (cohort size, events)"),
        _c("median", MM.median, VALUE, "a median (not reached: NotReached)"),
        _c("minimum", MM.minimum, VALUE, "the range's low end"),
        _c("maximum", MM.maximum, VALUE, "the range's high end"),
        _c("lower_bound", MM.lowerBound, VALUE, "at least this value"),
        _c("value", MM.value, VALUE, "a single value (a time, a quantity)"),
        _c("estimate", MM.estimate, VALUE, "a hazard ratio or a risk reduction (percent)"),
        _c("ci_low", MM.ciLow, VALUE, "the interval's low end"),
        _c("ci_high", MM.ciHigh, VALUE, "the interval's high end (NE: not estimable)"),
        _c("ci_level", MM.ciLevel, VALUE, "the interval's level when not 95%"),
        _c("p_value", MM.pValue, VALUE, "the p-value as printed"),
        _c("p_value_below", MM.pValueBelow, VALUE, "the bound of a p-value printed as P < x"),
        _c("landmark", MM.landmark, VALUE, "a landmark rate's time (months)"),
        _c("unit", MM.unit, TERM, "the unit of the value (months, years, ...)"),
        _c("ongoing", MM.ongoing, BOOLEAN, "true for a time still running (censored)"),
        _c("attribute", MM.attribute, TERM, "an observation's attribute (Sex, MyelomaSubtype, PriorASCT)"),
        _c("value_concept", MM.valueConcept, VALUE, "an observation's value (a term, or true/false)"),
        _c(
            "best_response",
            MM.bestResponse,
            TERM,
            "a response assessment's best response (PR, VGPR, MR, ...)",
        ),
        _c("refractory_to", MM.refractoryTo, TERM, "refractoriness: the drug"),
        _c("refractory", MM.refractory, VALUE, "refractoriness: true, false or a typed unknown"),
        _c("surviving_text", MM.survivingText, TEXT, "a damaged table row: the text that survived"),
        _c("surviving_value_count", MM.survivingValueCount, VALUE, "a damaged row: values that survived"),
        _c("expected_value_count", MM.expectedValueCount, VALUE, "a damaged row: values the row should hold"),
        _c("derivation", MM.derivation, TERM, "Reported, Derived or Reconstructed", required=True),
        _c("derivation_note", MM.derivationNote, TEXT, "for a derived figure: how it was derived"),
        _c("derived_from", PROV.wasDerivedFrom, RECORD, "the figures it was derived from", many=True),
        _c("verification", MM.verification, TERM, "how it was verified (ReadInPublicCopy, ...)"),
        _NOTE,
        _c("curation", PROV.wasGeneratedBy, RECORD, "the file's curation activity (empty: the study's)"),
    ),
    has_evidence=True,
)

STUDIES = Tab(
    "studies",
    "One row per study.",
    {"Study": MM.Study},
    (
        _LABEL,
        _c("design", MM.design, TERM, "the design (a term of the study design scheme)"),
        _c("reported_in", MM.reportedIn, RECORD, "the publications reporting it", many=True),
        _c("alias", MM.alias, TEXT, "other names", many=True),
        _c("nct_id", MM.nctId, TEXT, "ClinicalTrials.gov ids a source verifies", many=True),
        _c("secondary_identifier", MM.secondaryIdentifier, RECORD, "identifier records", many=True),
        _c("pools", MM.pools, RECORD, "the studies it pools", many=True),
        _c("part_of_study", MM.partOfStudy, RECORD, "the study it is part of"),
        _c("primary_endpoint", MM.primaryEndpoint, TERM, "its primary endpoints", many=True),
        _NOTE,
    ),
    id_column="study",
)

DATA_CUTS = Tab(
    "data_cuts",
    "One row per data cut of a study.",
    {"DataCut": MM.DataCut},
    (
        _LABEL,
        _c("of_study", MM.ofStudy, RECORD, "the study", required=True),
        _c("cut_sequence", MM.cutSequence, VALUE, "1 for the first cut, 2 for the next, ..."),
        _c("follow_up_months", MM.followUpMonths, VALUE, "the median follow-up, months, as printed"),
        _c("reported_in", MM.reportedIn, RECORD, "the publications reporting it", many=True),
    ),
)

COHORTS = Tab(
    "cohorts",
    "One row per cohort: an arm, a subgroup or a group of patients.",
    {"Arm": MM.Arm, "Subgroup": MM.Subgroup, "PatientGroup": MM.PatientGroup},
    (
        _LABEL,
        _c("of_study", MM.ofStudy, RECORD, "the study", required=True),
        _c("received_regimen", MM.receivedRegimen, RECORD, "the regimens (each patient one)", many=True),
        _c("prior_regimen", MM.priorRegimen, RECORD, "an earlier regimen figures refer to", many=True),
        _c("subgroup_of", MM.subgroupOf, RECORD, "the cohort it is part of", many=True),
        _c(
            "includes_patients_of",
            MM.includesPatientsOf,
            RECORD,
            "cohorts whose patients it includes",
            many=True,
        ),
        _c(
            "refractory",
            MM.definingRefractoriness,
            RECORD,
            "refractory to every drug of these sets",
            many=True,
        ),
        _c("refractory_to_exactly_one_of", MM.refractoryToExactlyOneOf, RECORD, "a drug set", many=True),
        _c("refractory_to_at_least_one_of", MM.refractoryToAtLeastOneOf, RECORD, "a drug set", many=True),
        _c("exposure", MM.definingExposure, RECORD, "a drug set the patients were exposed to", many=True),
        _c("eligibility", MM.eligibility, TEXT, "eligibility as printed", many=True),
        _c("min_prior_lines", MM.minPriorLinesRequired, VALUE, "prior lines required"),
        _NOTE,
    ),
)

STRATIFICATIONS = Tab(
    "stratifications",
    "One row per stratification: a cohort presented as categories (its strata).",
    {"Stratification": MM.Stratification},
    (
        _LABEL,
        _c("stratifies", MM.stratifies, RECORD, "the cohort", required=True),
        _c("strata", MM.stratum, RECORD, "its categories (cohorts)", many=True),
    ),
)

DRUG_SETS = Tab(
    "drug_sets",
    "One row per drug set (refractoriness, exposure); a drug class means one or more drugs of it.",
    {"DrugSet": MM.DrugSet},
    (_LABEL, _c("members", MM.member, TERM, "drugs or drug classes", many=True, required=True)),
)

REGIMENS = Tab(
    "regimens",
    "One row per regimen; its components are rows of the components tab.",
    {"Regimen": MM.Regimen},
    (
        _LABEL,
        _c("abbreviation", MM.abbreviation, TEXT, "e.g. D-Pd"),
        _c("components", MM.component, RECORD, "its components (rows of the components tab)", many=True),
        _NOTE,
    ),
)

COMPONENTS = Tab(
    "components",
    "One row per regimen component: a drug with its dose and schedule.",
    {"RegimenComponent": MM.RegimenComponent},
    (
        _c("drug", MM.drug, TERM, "the drug", required=True),
        _c("dose", MM.dose, VALUE, "the dose as printed (not reported: NotReported)"),
        _c("dose_unit", MM.doseUnit, TERM, "mg, mg/kg, ... (lost: LostInExtraction)"),
        _c("dose_description", MM.doseDescription, TEXT, "the dose in words (standard dose)"),
        _c("schedule", MM.schedule, TERM, "the schedule term (not reported: NotReported)"),
        _NOTE,
    ),
)

PATIENTS = Tab(
    "patients",
    "One row per patient; what is known about a patient is figures (observations, responses).",
    {"Patient": MM.Patient},
    (
        _c("patient_label", MM.patientLabel, TEXT, "the label as printed (Patient 1)"),
        _c("member_of", MM.memberOf, RECORD, "the cohorts", many=True),
        _NOTE,
    ),
)

INTERPRETATIONS = Tab(
    "interpretations",
    "One row per interpretation: a reading of a source that resolves an apparent conflict; its supporting "
    "quotes are rows of the evidence tab (property supportedBy).",
    {"Interpretation": MM.Interpretation},
    (
        _LABEL,
        _c("reading", MM.reading, TEXT, "the reading", required=True),
        _c("reads", MM.reads, RECORD, "every figure it reads", many=True, required=True),
        _c("curation", PROV.wasGeneratedBy, RECORD, "the file's curation activity (empty: the study's)"),
    ),
)

CURATION = Tab(
    "curation",
    "One row per curated file: its curation activity (who curated it and when).",
    {"CurationActivity": MM.CurationActivity},
    (
        _c(
            "file",
            None,
            TEXT,
            "the curated file, relative to the knowledge base (studies/x.ttl)",
            required=True,
        ),
        _LABEL,
        _c("curator", PROV.wasAssociatedWith, RECORD, "the curator (curator-...)", many=True, required=True),
        _c("ended", PROV.endedAtTime, DATE_TIME, "when the curation ended"),
    ),
)

BIBLIOGRAPHY = "publications/bibliography.ttl"
AGENTS = "agents.ttl"

PUBLICATIONS = Tab(
    "publications",
    "One row per publication, journal, summary page or source digest.",
    {
        "JournalArticle": MM.JournalArticle,
        "Letter": MM.Letter,
        "ConferenceAbstract": MM.ConferenceAbstract,
        "Publication": MM.Publication,
        "SecondarySummary": MM.SecondarySummary,
        "SourceDigest": MM.SourceDigest,
        "Journal": BIBO.Journal,
    },
    (
        _c("label", RDFS.label, TEXT, "the short citation shown (Lonial 2016, Lancet)"),
        _c("title", DCTERMS.title, TEXT, "the title"),
        _c("authors", BIBO.authorList, TEXT_LIST, "the authors in order, separated by ` | `"),
        _c("contributors", BIBO.contributorList, TEXT_LIST, "contributors in order, separated by ` | `"),
        _c("creator", DCTERMS.creator, TEXT, "the creator, as printed", many=True),
        _c("collective_author", MM.collectiveAuthor, TEXT, "a group author"),
        _c("authors_truncated", MM.authorsTruncated, BOOLEAN, "true when the list is cut (et al)"),
        _c("journal", DCTERMS.isPartOf, RECORD, "the journal (a Journal row)"),
        _c("issued", DCTERMS.issued, YEAR, "the year"),
        _c("available", DCTERMS.available, DATE, "the date it was available online"),
        _c("volume", BIBO.volume, TEXT, "volume"),
        _c("issue", BIBO.issue, TEXT, "issue"),
        _c("page_start", BIBO.pageStart, TEXT, "first page"),
        _c("page_end", BIBO.pageEnd, TEXT, "last page"),
        _c("doi", BIBO.doi, TEXT, "DOI"),
        _c("pmid", BIBO.pmid, TEXT, "PubMed id"),
        _c("secondary_identifier", MM.secondaryIdentifier, RECORD, "identifier records", many=True),
        _c("summarizes", MM.summarizes, RECORD, "a summary page: what it summarizes", many=True),
        _c("text_file", MM.textFile, TEXT, "the text file mmkb checks quotes against"),
        _SOURCE_URL,
        _c("publication_note", MM.publicationNote, TEXT, "a note on the publication"),
        _NOTE,
    ),
    default_file=BIBLIOGRAPHY,
)

CITATIONS = Tab(
    "citations",
    "One row per reference of a citing work.",
    {"Citation": MM.Citation},
    (
        _c("citing_work", MM.citingWork, RECORD, "the citing publication", required=True),
        _c("reference_number", MM.referenceNumber, VALUE, "the reference's number", required=True),
        _c("cited_work", MM.citedWork, RECORD, "the cited publication", required=True),
    ),
    default_file=BIBLIOGRAPHY,
)

IDENTIFIERS = Tab(
    "identifiers",
    "One row per identifier found in a secondary source (a registry number, ...).",
    {"SecondaryIdentifier": MM.SecondaryIdentifier},
    (
        _c("scheme", MM.identifierScheme, TERM, "the identifier's scheme", required=True),
        _c("identifier", MM.identifierValue, TEXT, "the identifier", required=True),
        _c("verification", MM.verification, TERM, "how it was verified"),
        _SOURCE_URL,
    ),
    default_file=BIBLIOGRAPHY,
)

CURATORS = Tab(
    "curators",
    "One row per curator.",
    {"Agent": PROV.Agent},
    (_LABEL,),
    default_file=AGENTS,
)


EVIDENCE = Tab(
    "evidence",
    "Evidence beyond a figure's first: one row per quote or table cell (and an interpretation's support).",
    {},
    (
        _c(
            "property",
            None,
            TERM,
            "evidence (a figure's) or supportedBy (an interpretation's)",
            required=True,
        ),
        *EVIDENCE_COLUMNS,
    ),
    id_column="record",
)

TABS: tuple[Tab, ...] = (
    FIGURES,
    STUDIES,
    DATA_CUTS,
    COHORTS,
    STRATIFICATIONS,
    DRUG_SETS,
    REGIMENS,
    COMPONENTS,
    PATIENTS,
    INTERPRETATIONS,
    EVIDENCE,
    CURATION,
    PUBLICATIONS,
    CITATIONS,
    IDENTIFIERS,
    CURATORS,
)
TAB_BY_NAME = {tab.name: tab for tab in TABS}
EVIDENCE_COLUMN_PREDICATES = {c.name: c.predicate for c in EVIDENCE_COLUMNS}
EVIDENCE_PROPERTIES = {"evidence": MM.evidence, "supportedBy": MM.supportedBy}
TAB_OF_TYPE = {iri: tab for tab in TABS for iri in tab.types.values()}
