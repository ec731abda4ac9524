"""Refractory categories derived from drug sets by the ontology's definitions."""

from __future__ import annotations

import pytest

from kb.namespaces import ID, MM

DOUBLE, CD38, TRIPLE, QUAD, PENTA = (
    MM.DoubleRefractory,
    MM.AntiCD38Refractory,
    MM.TripleClassRefractory,
    MM.QuadRefractory,
    MM.PentaRefractory,
)


@pytest.mark.parametrize(
    ("refractory", "unknown", "expected"),
    [
        ({MM.bortezomib, MM.lenalidomide}, set(), {DOUBLE: True, CD38: False, TRIPLE: False, PENTA: False}),
        (
            {MM.daratumumab, MM.bortezomib, MM.carfilzomib, MM.lenalidomide, MM.pomalidomide},
            set(),
            {DOUBLE: True, CD38: True, TRIPLE: True, QUAD: True, PENTA: True},
        ),
        ({MM.daratumumab, MM.pomalidomide}, set(), {DOUBLE: False, CD38: True, TRIPLE: False}),
        # A population "refractory to a PI and an IMiD" (classes as members) is double refractory.
        ({MM.ProteasomeInhibitor, MM.IMiD}, set(), {DOUBLE: True, TRIPLE: False}),
        ({MM.isatuximab, MM.ixazomib, MM.thalidomide}, set(), {TRIPLE: True, QUAD: False}),
        (
            {MM.daratumumab, MM.bortezomib, MM.lenalidomide, MM.pomalidomide},
            {MM.carfilzomib},
            {TRIPLE: True, QUAD: True, PENTA: None},
        ),
    ],
)
def test_classify_drug_sets(kb, refractory, unknown, expected):
    result = kb.categories.classify(refractory, unknown)
    assert {c: result[c] for c in expected} == expected


def test_letter_patients_penta_refractory_depends_on_unknown_carfilzomib(kb):
    # Patients 1-3 and 6: daratumumab, bortezomib, lenalidomide and pomalidomide refractory; the letter
    # does not say which three patients were carfilzomib refractory.
    p1 = kb.refractory_categories(ID["athens-p1"])
    assert (p1[TRIPLE], p1[QUAD], p1[PENTA]) == (True, True, None)
    # Patients 4 and 5 were not pomalidomide refractory: penta is impossible, quad depends on carfilzomib.
    p4 = kb.refractory_categories(ID["athens-p4"])
    assert (p4[TRIPLE], p4[QUAD], p4[PENTA]) == (True, None, False)


def test_counting_what_can_and_cannot_be_known_in_the_letter(kb):
    counts = {c.category: c for c in kb.category_counts(ID["athens-all"])}
    assert (counts[TRIPLE].low, counts[TRIPLE].high) == (6, 6)
    penta = counts[PENTA]
    # Four patients (pomalidomide and lenalidomide refractory) would be penta-refractory if carfilzomib
    # refractory; the letter says 3 of 6 were, not which. Patients 4 and 5 can take at most 2 of those 3.
    assert (len(penta.certain), len(penta.possible), penta.low, penta.high) == (0, 4, 1, 3)
    assert penta.bounded_by == (ID["athens-agg-carfilzomib-refractory"],)
    assert not penta.known
    quad = counts[QUAD]
    # Patients 4 and 5 could be quad-refractory through carfilzomib or another PI nobody reports on:
    # no single unknown drug decides it, so the carfilzomib total does not narrow the bounds.
    assert (len(quad.certain), quad.low, quad.high, quad.bounded_by) == (4, 4, 6, ())


def test_silence_about_a_drug_is_not_a_no(kb):
    counts = {c.category: c for c in kb.category_counts(ID["baertsch-all"])}
    # Refractory to daratumumab and pomalidomide; nothing is said about bortezomib, carfilzomib or
    # lenalidomide, so penta-refractory status is open for both patients.
    penta = counts[PENTA]
    assert (penta.low, penta.high, penta.bounded_by) == (0, 2, ())
    assert (counts[CD38].low, counts[CD38].high) == (2, 2)
