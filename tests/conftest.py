"""Shared fixtures: the shipped knowledge base, its answers, a build of it, its validation report, and the
source texts."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.build import build
from kb.knowledge_base import KnowledgeBase
from kb.quality.validate import Report, validate

TESTS_DIR = Path(__file__).resolve().parent
FIXTURES = TESTS_DIR / "fixtures"
# The shared source texts sit beside a checkout: <repo>/../shared/sources.
SHARED_SOURCES = TESTS_DIR.parent.parent / "shared" / "sources"
LETTER_FILE = "000_2be15b03738635b5.txt"
DIGEST_FILE = "primary-reports.md"


@pytest.fixture(scope="session")
def sources() -> dict[str, Path]:
    """Paths of the shared source texts and the offline fixtures."""
    return {
        "shared": SHARED_SOURCES,
        "letter": SHARED_SOURCES / LETTER_FILE,
        "digest": SHARED_SOURCES / DIGEST_FILE,
        "excerpt": FIXTURES / "sources" / "letter-excerpt.txt",
    }


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return KnowledgeBase.open()


@pytest.fixture(scope="session")
def report() -> Report:
    return validate()


@pytest.fixture(scope="module")
def shipped(kb: KnowledgeBase) -> dict[str, object]:
    """Every answer of the shipped knowledge base (tests.graph.test_round_trip.answers)."""
    from tests.graph.test_round_trip import answers

    return answers(kb)


@pytest.fixture(scope="module")
def built_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped curated files built (mmkb build --store), once per test module: a module may build
    into it again."""
    directory = tmp_path_factory.mktemp("built") / "store"
    build(directory)
    return directory
