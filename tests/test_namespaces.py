"""An IRI's local name and CURIE: one rule for the library, the command line and the service."""

from __future__ import annotations

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import PROV, XSD

from kb.namespaces import ID, MM, curie, local_name


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        (MM.Study, "Study"),
        (ID["study-pollux"], "study-pollux"),
        (PROV.wasDerivedFrom, "wasDerivedFrom"),
        ("https://w3id.org/mmkb/id/athens-p1", "athens-p1"),
        # A literal is text, never cut at a '/' or '#'.
        (Literal("3/6"), "3/6"),
        (Literal("https://example.org/a#b"), "https://example.org/a#b"),
        (Literal(12, datatype=XSD.integer), "12"),
        (None, ""),
    ],
)
def test_local_name(term: URIRef | Literal | str | None, expected: str) -> None:
    assert local_name(term) == expected


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        (MM.Study, "mm:Study"),
        (ID["study-pollux"], "id:study-pollux"),
        (PROV.wasDerivedFrom, str(PROV.wasDerivedFrom)),
        (Literal(str(ID["study-pollux"])), str(ID["study-pollux"])),
        (Literal("PR"), "PR"),
    ],
)
def test_curie(term: URIRef | Literal, expected: str) -> None:
    assert curie(term) == expected
