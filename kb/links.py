"""Where identifiers resolve: DOIs at doi.org, PubMed ids at PubMed, trial registry numbers at
ClinicalTrials.gov, and curated records at their own IRI (the service serves the id namespace)."""

from __future__ import annotations

from rdflib import Literal, URIRef
from rdflib.term import Node

DOI = "https://doi.org/{}"
PUBMED = "https://pubmed.ncbi.nlm.nih.gov/{}/"
REGISTRY = "https://clinicaltrials.gov/study/{}"

# Identifiers written as text in the data, by property, and where each resolves.
RESOLVERS = {
    "http://purl.org/ontology/bibo/doi": DOI,
    "http://purl.org/ontology/bibo/pmid": PUBMED,
    "https://w3id.org/mmkb/vocab#nctId": REGISTRY,
}

# An identifier record's scheme (mm:identifierScheme) and where its value resolves.
SCHEME_RESOLVERS = {
    "https://w3id.org/mmkb/vocab#DOI": DOI,
    "https://w3id.org/mmkb/vocab#PMID": PUBMED,
    "https://w3id.org/mmkb/vocab#NCT": REGISTRY,
}
IDENTIFIER_VALUE = URIRef("https://w3id.org/mmkb/vocab#identifierValue")
IDENTIFIER_SCHEME = URIRef("https://w3id.org/mmkb/vocab#identifierScheme")


def _url(pattern: str, value: str) -> str:
    value = value.strip()
    return pattern.format(value) if value else ""


def doi_url(doi: str) -> str:
    """The doi.org link of a DOI ("" for none)."""
    return _url(DOI, doi)


def pubmed_url(pmid: str) -> str:
    """The PubMed link of a PMID ("" for none)."""
    return _url(PUBMED, pmid)


def registry_url(nct_id: str) -> str:
    """The ClinicalTrials.gov link of a registry number ("" for none)."""
    return _url(REGISTRY, nct_id)


def identifier_url(predicate: Node, value: Node, scheme: Node | None = None) -> str | None:
    """Where an identifier written as text resolves (a DOI at doi.org, a PMID at PubMed, a registry number
    at ClinicalTrials.gov), by its property or, for an identifier record's value, its scheme; or None."""
    pattern = RESOLVERS.get(str(predicate))
    if predicate == IDENTIFIER_VALUE and scheme is not None:
        pattern = SCHEME_RESOLVERS.get(str(scheme))
    return pattern.format(str(value).strip()) if pattern and isinstance(value, Literal) else None
