"""What a synthetic study is made of: the ontology's concepts it uses (checked against the ontology on
import), regimens with doses and schedules, the populations' drug sets, and the shared records."""

from __future__ import annotations

from dataclasses import dataclass

from kb.namespaces import MM
from kb.synth.rdf_text import Dec, Iri, Record, Typed

_TERMS: dict[str, Iri] = {}


def mm(name: str) -> Iri:
    """A term of the vocabulary; KeyError if the ontology does not declare it."""
    term = _TERMS.get(name)
    if term is None:
        MM[name]
        term = _TERMS[name] = Iri("mm:" + name)
    return term


REPORTED, DERIVED, RECONSTRUCTED = mm("Reported"), mm("Derived"), mm("Reconstructed")
NOT_REPORTED, NOT_REACHED, NOT_ESTIMABLE = mm("NotReported"), mm("NotReached"), mm("NotEstimable")
COUNT_REPORTED, COUNT_RECONSTRUCTED = mm("CountReported"), mm("CountReconstructed")
PUBLIC_COPY, SECONDARY_SOURCE = mm("ReadInPublicCopy"), mm("ReadInSecondarySource")
MONTHS, YEARS, LINES = mm("months"), mm("years"), mm("lines")
CATEGORIES = tuple(mm(c) for c in ("sCR", "CR", "VGPR", "PR", "MR", "SD", "PD"))  # best first
PR, CR, VGPR = mm("PR"), mm("CR"), mm("VGPR")

# The shared records every synthetic file holds once: its journal and its curator.
JOURNAL = Iri("id:synth-journal")
CURATOR = Iri("id:synth-curator")
CURATED_AT = Typed("2026-11-24T00:00:00+00:00", "xsd:dateTime")
SUMMARY_SITE = "https://synthetic.invalid/"  # .invalid never resolves (RFC 2606)
DOI_PREFIX = "10.0000"  # a DOI prefix no registrant holds: the synthetic DOIs resolve nowhere


def shared_records() -> list[Record]:
    return [
        (JOURNAL, [("a", Iri("bibo:Journal")), ("dcterms:title", "Synthetic Data")]),
        (CURATOR, [("a", Iri("prov:Agent")), ("rdfs:label", "mmkb synthetic data generator")]),
    ]


@dataclass(frozen=True)
class Drug:
    iri: Iri
    name: str


DARA = Drug(mm("daratumumab"), "daratumumab")
ISA = Drug(mm("isatuximab"), "isatuximab")
POM = Drug(mm("pomalidomide"), "pomalidomide")
LEN = Drug(mm("lenalidomide"), "lenalidomide")
THAL = Drug(mm("thalidomide"), "thalidomide")
BORT = Drug(mm("bortezomib"), "bortezomib")
CARF = Drug(mm("carfilzomib"), "carfilzomib")
IXA = Drug(mm("ixazomib"), "ixazomib")
DEX = Drug(mm("dexamethasone"), "dexamethasone")
CY = Drug(mm("cyclophosphamide"), "cyclophosphamide")

MG, MG_PER_KG = mm("mg"), mm("mgPerKg")
UNIT_TEXT = {MG: "mg", MG_PER_KG: "mg/kg"}
APPROVED, MONTHLY, REINTENSIFIED = (
    mm("DaratumumabApprovedSchedule"),
    mm("DaratumumabContinuedMonthly"),
    mm("DaratumumabReintensified"),
)
DAYS_1_21, WEEKLY = mm("Days1to21Of28"), mm("Weekly")
SCHEDULE_TEXT = {
    APPROVED: "approved schedule",
    MONTHLY: "continued monthly",
    REINTENSIFIED: "re-intensified",
    DAYS_1_21: "days 1-21 of 28",
    WEEKLY: "weekly",
}


@dataclass(frozen=True)
class Component:
    """One drug of a regimen; a dose of None is not reported (its unit then is not reported either)."""

    drug: Drug
    dose: int | Dec | None
    unit: Iri | None
    schedule: Iri | None

    def text(self) -> str:
        dose = f" {self.dose} {UNIT_TEXT[self.unit]}" if self.dose is not None and self.unit else ""
        schedule = f" ({SCHEDULE_TEXT[self.schedule]})" if self.schedule else ""
        return f"{self.drug.name}{dose}{schedule}"


@dataclass(frozen=True)
class Regimen:
    """A regimen as a study gives it, with the response rate and median PFS (months) it typically has."""

    abbreviation: str
    components: tuple[Component, ...]
    response_rate: float
    median_pfs: float

    def label(self) -> str:
        texts = [c.text() for c in self.components]
        head = texts[0][0].upper() + texts[0][1:]
        if len(texts) == 1:
            return f"{head} monotherapy"
        return f"{head} with {', '.join(texts[1:-1])}{' and ' if len(texts) > 2 else ''}{texts[-1]}"

    @property
    def drugs(self) -> tuple[Drug, ...]:
        return tuple(c.drug for c in self.components)


def dara(dose: int = 16, schedule: Iri | None = APPROVED) -> Component:
    return Component(DARA, dose, MG_PER_KG, schedule)


def _dex(dose: int = 40) -> Component:
    return Component(DEX, dose, MG, WEEKLY)


def _unstated(drug: Drug) -> Component:
    return Component(drug, None, None, None)


POM4 = Component(POM, 4, MG, DAYS_1_21)
LEN25 = Component(LEN, 25, MG, DAYS_1_21)

# Backbones and the anti-CD38 combinations built on them (the randomized trials compare the two).
PD = Regimen("Pd", (POM4, _dex()), 0.33, 4.5)
RD = Regimen("Rd", (LEN25, _dex()), 0.6, 13.0)
VD = Regimen("Vd", (_unstated(BORT), _dex(20)), 0.6, 7.2)
KD = Regimen("Kd", (_unstated(CARF), _dex(20)), 0.7, 15.0)
RANDOMIZED_PAIRS = (
    (Regimen("D-Rd", (dara(), LEN25, _dex()), 0.9, 40.0), RD),
    (Regimen("D-Pd", (dara(), POM4, _dex()), 0.65, 12.0), PD),
    (Regimen("Isa-Pd", (Component(ISA, 10, MG_PER_KG, WEEKLY), POM4, _dex()), 0.6, 11.5), PD),
    (Regimen("D-Vd", (dara(), _unstated(BORT), _dex(20)), 0.83, 16.7), VD),
    (Regimen("D-Kd", (dara(), _unstated(CARF), _dex(20)), 0.84, 28.6), KD),
    (Regimen("KRd", (_unstated(CARF), LEN25, _dex()), 0.87, 26.3), RD),
    (Regimen("IRd", (_unstated(IXA), LEN25, _dex()), 0.78, 20.6), RD),
)
SINGLE_ARM = (
    Regimen("Dara", (dara(),), 0.3, 4.0),
    Regimen("Dara 8", (dara(8, None),), 0.1, 2.4),
    Regimen("Isa", (Component(ISA, 20, MG_PER_KG, None),), 0.24, 4.6),
    Regimen("D-Pd", (dara(), POM4, _dex()), 0.6, 8.8),
    Regimen("Isa-Pd", (Component(ISA, 10, MG_PER_KG, WEEKLY), POM4, _dex()), 0.62, 11.0),
    Regimen("PCd", (POM4, Component(CY, 50, MG, None), _dex(20)), 0.5, 7.0),
    Regimen("KPd", (_unstated(CARF), POM4, _dex()), 0.64, 9.7),
    Regimen("Td", (Component(THAL, 100, MG, None), _dex()), 0.35, 6.0),
    PD,
    KD,
)
RETREATMENT = (
    Regimen("D-Pd", (dara(16, REINTENSIFIED), POM4, _dex()), 0.45, 7.0),
    Regimen("D-Pd", (dara(16, MONTHLY), POM4, _dex(20)), 0.35, 5.0),
    Regimen("D-Rd", (dara(16, MONTHLY), LEN25, _dex()), 0.4, 6.0),
    Regimen("Dara", (dara(16, REINTENSIFIED),), 0.2, 3.0),
)
DARA_MONOTHERAPY = Regimen("Dara", (dara(),), 0.3, 4.0)


@dataclass(frozen=True)
class DrugSet:
    key: str
    label: str
    members: tuple[Iri, ...]

    @property
    def all_drugs(self) -> bool:
        return all(m not in CLASSES for m in self.members)


PI, IMID, ANTI_CD38 = mm("ProteasomeInhibitor"), mm("IMiD"), mm("AntiCD38Antibody")
CLASSES = (PI, IMID, ANTI_CD38)
DOUBLE = DrugSet("pi-imid", "a proteasome inhibitor and an IMiD", (IMID, PI))
TRIPLE_CLASS = DrugSet(
    "triple-class", "an IMiD, a proteasome inhibitor and an anti-CD38 antibody", (ANTI_CD38, IMID, PI)
)
LEN_SET = DrugSet("lenalidomide", "lenalidomide", (LEN.iri,))
BORT_SET = DrugSet("bortezomib", "bortezomib", (BORT.iri,))
DARA_SET = DrugSet("daratumumab", "daratumumab", (DARA.iri,))
DARA_POM = DrugSet("daratumumab-pomalidomide", "daratumumab and pomalidomide", (DARA.iri, POM.iri))
DARA_LEN = DrugSet("daratumumab-lenalidomide", "daratumumab and lenalidomide", (DARA.iri, LEN.iri))
LEN_BORT = DrugSet("lenalidomide-bortezomib", "lenalidomide and bortezomib", (BORT.iri, LEN.iri))
# Populations of single-arm trials (None: not selected by refractory status) and their subgroups.
TRIAL_POPULATIONS = (None, None, DOUBLE, TRIPLE_CLASS, LEN_SET, LEN_BORT)
TRIAL_SUBGROUPS = (DOUBLE, LEN_SET, BORT_SET, LEN_BORT)
# Populations of patients re-treated after progressing on daratumumab (all drugs, for patient records).
RETREATMENT_POPULATIONS = (DARA_SET, DARA_POM, DARA_LEN)

ADVERSE_EVENTS = (
    (mm("Neutropenia"), "neutropenia", 0.35),
    (mm("Thrombocytopenia"), "thrombocytopenia", 0.2),
    (mm("Anemia"), "anemia", 0.18),
)
SEXES = (mm("Male"), mm("Female"))
