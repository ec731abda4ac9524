"""Blank nodes are labelled by what they say and where they hang: one node for the same description read
twice, never one node for two descriptions that only look alike."""

from __future__ import annotations

import pyoxigraph as ox

from kb.graph.blank_nodes import label_by_content

EX = "http://example.org/bn/"


def parse(text: str) -> list[ox.Quad]:
    return list(ox.parse(f"@prefix : <{EX}> .\n{text}", format=ox.RdfFormat.TURTLE))


def blank_nodes(quads: list[ox.Quad]) -> set[ox.BlankNode]:
    return {t for q in quads for t in (q.subject, q.object) if isinstance(t, ox.BlankNode)}


def test_the_same_text_parsed_twice_gets_the_same_labels() -> None:
    text = ':claim :evidence [ :selector [ :exact "31 of 106" ] ; :source :paper ] .'
    first, second = label_by_content(parse(text)), label_by_content(parse(text))
    assert set(first) == set(second)
    assert len(blank_nodes(first)) == 2


def test_labelling_is_idempotent() -> None:
    once = label_by_content(parse(":a :p [ :q [ :r 1 ] ] ; :p [ :q 2 ] ."))
    assert label_by_content(once) == once


def test_identical_descriptions_under_the_same_subject_become_one_node() -> None:
    quads = label_by_content(parse(":a :p [ :q 1 ] , [ :q 1 ] ."))
    assert len(set(quads)) == 2 and len(blank_nodes(quads)) == 1


def test_alike_descriptions_under_different_subjects_stay_apart() -> None:
    # "a knows someone named X" and "b knows someone named X" do not say it is the same someone
    quads = label_by_content(parse(':a :knows [ :name "X" ] . :b :knows [ :name "X" ] .'))
    assert len(blank_nodes(quads)) == 2
    empty = label_by_content(parse(":a :knows [] . :b :knows [] ."))
    assert len(blank_nodes(empty)) == 2


def test_different_descriptions_stay_apart() -> None:
    quads = label_by_content(parse(":a :p [ :q 1 ] , [ :q 2 ] , [ :q 1 ; :r 3 ] ."))
    assert len(blank_nodes(quads)) == 3


def test_nested_nodes_differ_by_their_parents() -> None:
    # the same inner selector under two different evidence nodes is two nodes
    quads = label_by_content(parse(":a :p [ :s [ :x 1 ] ; :k 1 ] , [ :s [ :x 1 ] ; :k 2 ] ."))
    assert len(blank_nodes(quads)) == 4


def test_a_cycle_of_blank_nodes_keeps_labels_of_its_own() -> None:
    quads = [
        ox.Quad(ox.BlankNode("x"), ox.NamedNode(EX + "next"), ox.BlankNode("y")),
        ox.Quad(ox.BlankNode("y"), ox.NamedNode(EX + "next"), ox.BlankNode("x")),
    ]
    first, second = label_by_content(quads), label_by_content(quads)
    assert len(blank_nodes(first)) == 2
    assert blank_nodes(first).isdisjoint(blank_nodes(second))  # never merged with anything


def test_a_long_list_is_labelled_without_recursion() -> None:
    items = " ".join(str(i) for i in range(20_000))
    quads = label_by_content(parse(f":a :list ( {items} ) ."))
    assert len(blank_nodes(quads)) == 20_000
    assert label_by_content(parse(f":a :list ( {items} ) .")) == quads
