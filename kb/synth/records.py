"""The records of one synthetic study as it is built: identifiers, publications, cohorts, regimens and
claims, each claim with its source, evidence, derivation and curation activity."""

from __future__ import annotations

from dataclasses import dataclass, field
from random import Random

from kb.synth.figures import Responses
from kb.synth.rdf_text import Blank, Dec, Iri, Many, Obj, Pairs, Record, Typed
from kb.synth.vocabulary import (
    CURATED_AT,
    CURATOR,
    DOI_PREFIX,
    JOURNAL,
    NOT_REPORTED,
    PUBLIC_COPY,
    REPORTED,
    SECONDARY_SOURCE,
    SUMMARY_SITE,
    DrugSet,
    Regimen,
    mm,
)

AUTHORS = ("Synthwell", "Fictorian", "Samplesen", "Modelli", "Placeholt", "Testa", "Dummond", "Mockridge")


def quote(source: Iri, exact: str, url: str | None = None) -> Blank:
    """Evidence: a quote of the source (a text-quote selector), with the address it was read at."""
    pairs: list[tuple[str, Obj]] = [
        ("a", Iri("oa:SpecificResource")),
        ("oa:hasSelector", Blank((("a", Iri("oa:TextQuoteSelector")), ("oa:exact", exact)))),
        ("oa:hasSource", source),
    ]
    if url:
        pairs.append(("mm:sourceUrl", Iri(f"<{url}>")))
    return Blank(pairs)


def cell(source: Iri, table: str, row: str, column: str) -> Blank:
    """Evidence: a table cell of the source (a table locator)."""
    selector = (
        ("a", mm("TableCellSelector")),
        ("mm:columnLabel", column),
        ("mm:rowLabel", row),
        ("mm:table", table),
    )
    return Blank(
        (("a", Iri("oa:SpecificResource")), ("oa:hasSelector", Blank(selector)), ("oa:hasSource", source))
    )


def number(value: int | Dec | None, missing: Iri = NOT_REPORTED) -> Obj:
    """A value, or the typed unknown standing in its place."""
    return missing if value is None else value


@dataclass(frozen=True)
class Source:
    """A publication claims cite: its IRI, its label, the address of its text (secondary pages) and how
    its figures were verified."""

    iri: Iri
    key: str
    label: str
    url: str | None
    verification: Iri = PUBLIC_COPY


@dataclass(frozen=True)
class Cohort:
    iri: Iri
    key: str
    label: str
    responses: Responses

    @property
    def n(self) -> int:
        return self.responses.n


@dataclass
class Study:
    """One study's records, added as they are built; `key` starts every identifier (synth-000042)."""

    number: int
    seed: int
    rng: Random
    records: list[Record] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"synth-{self.number:06d}"

    @property
    def alias(self) -> str:
        return f"SYNTH-{self.number:06d}"

    @property
    def iri(self) -> Iri:
        return Iri(f"id:study-{self.key}")

    @property
    def curation(self) -> Iri:
        return self.id("curation")

    def id(self, suffix: str) -> Iri:
        return Iri(f"id:{self.key}-{suffix}")

    def add(self, subject: Iri, pairs: Pairs) -> Iri:
        self.records.append((subject, pairs))
        return subject

    def header(self, label: str, design: Iri, endpoint: Iri, publications: list[Iri]) -> None:
        """The study record and its curation activity."""
        self.add(
            self.iri,
            [
                ("a", mm("Study")),
                ("rdfs:label", f"{self.alias} (synthetic): {label}"),
                ("mm:alias", self.alias),
                (
                    "mm:curatorNote",
                    f"Synthetic study made by `mmkb synth --seed {self.seed}`; every figure is fictional.",
                ),
                ("mm:design", design),
                ("mm:primaryEndpoint", endpoint),
                ("mm:reportedIn", Many(publications) if len(publications) > 1 else publications[0]),
            ],
        )
        self.add(
            self.curation,
            [
                ("a", mm("CurationActivity")),
                ("rdfs:label", f"Curation of synthetic study {self.alias}"),
                ("prov:endedAtTime", CURATED_AT),
                ("prov:wasAssociatedWith", CURATOR),
            ],
        )

    def publication(self, n: int, kind: str, year: int, title: str) -> Source:
        """A fictional article (kind: JournalArticle, Letter, ConferenceAbstract) in the journal
        Synthetic Data, with a DOI that resolves nowhere."""
        iri = self.id(f"pub-{n}")
        author = self.rng.choice(AUTHORS)
        label = f"{author} {year}, Synthetic Data ({self.alias}{'' if n == 1 else f' report {n}'})"
        self.add(
            iri,
            [
                ("a", mm(kind)),
                ("rdfs:label", label),
                ("dcterms:creator", f"{author} {'ABCDEFGH'[self.number % 8]}"),
                ("dcterms:isPartOf", JOURNAL),
                ("dcterms:issued", Typed(str(year), "xsd:gYear")),
                ("dcterms:title", title),
                ("bibo:doi", f"{DOI_PREFIX}/{self.key}.{n}"),
                ("bibo:volume", str(year - 2000)),
            ],
        )
        return Source(iri, f"pub{n}", label, None)

    def summary_page(self, of: Source) -> Source:
        """A fictional secondary summary of a publication, at an address that resolves nowhere."""
        iri = self.id("summary")
        label = f"Synthetic summary page of {self.alias}"
        url = f"{SUMMARY_SITE}summaries/{self.key}"
        self.add(
            iri,
            [
                ("a", mm("SecondarySummary")),
                ("rdfs:label", label),
                ("mm:sourceUrl", Iri(f"<{url}>")),
                ("mm:summarizes", of.iri),
            ],
        )
        return Source(iri, "summary", label, url, SECONDARY_SOURCE)

    def data_cut(self, n: int, source: Source, follow_up: int | Dec) -> Iri:
        return self.add(
            self.id(f"cut-{n}"),
            [
                ("a", mm("DataCut")),
                ("rdfs:label", f"{self.alias}: data cut {n}, median follow-up {follow_up} months"),
                ("mm:cutSequence", n),
                ("mm:followUpMonths", follow_up),
                ("mm:ofStudy", self.iri),
                ("mm:reportedIn", source.iri),
            ],
        )

    def regimen(self, suffix: str, regimen: Regimen) -> Iri:
        iri = self.id(suffix)
        components = []
        for c in regimen.components:
            part = self.add(
                Iri(f"{iri}-{c.drug.name}"),
                [
                    ("a", mm("RegimenComponent")),
                    ("mm:dose", number(c.dose)),
                    ("mm:doseUnit", c.unit or NOT_REPORTED),
                    ("mm:drug", c.drug.iri),
                    ("mm:schedule", c.schedule or NOT_REPORTED),
                ],
            )
            components.append(part)
        pairs: Pairs = [("a", mm("Regimen")), ("rdfs:label", regimen.label())]
        if len(components) > 1:
            pairs.append(("mm:abbreviation", regimen.abbreviation))
        pairs.append(("mm:component", Many(components) if len(components) > 1 else components[0]))
        return self.add(iri, pairs)

    def drug_set(self, drugs: DrugSet) -> Iri:
        members = Many(drugs.members) if len(drugs.members) > 1 else drugs.members[0]
        return self.add(
            self.id(f"ds-{drugs.key}"),
            [("a", mm("DrugSet")), ("rdfs:label", drugs.label), ("mm:member", members)],
        )

    def cohort(self, suffix: str, kind: str, label: str, responses: Responses, pairs: Pairs) -> Cohort:
        iri = self.add(
            self.id(suffix),
            [("a", mm(kind)), ("rdfs:label", f"{self.alias}: {label}"), ("mm:ofStudy", self.iri), *pairs],
        )
        return Cohort(iri, suffix, f"{self.alias}: {label}", responses)

    def stratification(self, suffix: str, label: str, cohort: Cohort, strata: list[Cohort]) -> Iri:
        """The cohort presented as categories (strata) whose sizes add up to its own."""
        return self.add(
            self.id(suffix),
            [
                ("a", mm("Stratification")),
                ("rdfs:label", f"{self.alias} {label}"),
                ("mm:stratifies", cohort.iri),
                ("mm:stratum", Many(s.iri for s in strata)),
            ],
        )

    def claim(
        self,
        suffix: str,
        kind: str,
        about: Iri,
        source: Source,
        evidence: Blank | Many,
        pairs: Pairs,
        *,
        cut: Iri | None = None,
        derivation: Iri = REPORTED,
        note: str | None = None,
        derived_from: tuple[Iri, ...] = (),
    ) -> Iri:
        """A claim with its provenance: source, evidence, derivation (with a note and its inputs when
        it is not reported as printed), verification and the curation activity."""
        head: Pairs = [("a", mm(kind))]
        if derived_from:
            head.append(
                ("prov:wasDerivedFrom", Many(derived_from) if len(derived_from) > 1 else derived_from[0])
            )
        head += [("prov:wasGeneratedBy", self.curation), ("mm:about", about)]
        if cut is not None:
            head.append(("mm:atDataCut", cut))
        head.append(("mm:derivation", derivation))
        if note:
            head.append(("mm:derivationNote", note))
        head.append(("mm:evidence", evidence))
        tail: Pairs = [("mm:source", source.iri), ("mm:verification", source.verification)]
        return self.add(self.id(suffix), head + pairs + tail)
