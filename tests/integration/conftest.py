"""Shared fixtures of the integration tests: an Oxigraph server per test module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.servers import Server, oxigraph_server


@pytest.fixture(scope="module")
def oxigraph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """An Oxigraph server on 127.0.0.1 with its data in a temporary folder, stopped after the module."""
    with oxigraph_server(tmp_path_factory.mktemp("oxigraph")) as server:
        yield server
