"""/options: the comparison's option lists as the library holds them, and names the routes accept."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from kb.analysis.options import CHOICES, check, label
from kb.analysis.response_table import OptionError
from kb.knowledge_base import KnowledgeBase
from kb.render.tables import FORMATS


@pytest.fixture(scope="module")
def client(kb: KnowledgeBase) -> Iterator[TestClient]:
    with TestClient(create_app(kb, Settings(allowed_hosts=("testserver",)))) as test_client:
        yield test_client


def test_option_lists_are_the_library_lists(client: TestClient) -> None:
    options = client.get("/options").json()
    for name, values in CHOICES.items():
        assert options[name] == [{"value": v, "label": label(v)} for v in values]
    assert [c["value"] for c in options["format"]] == list(FORMATS)
    assert options["threshold"][0] == {"value": "PR", "label": "PR or better"}


def test_first_values_are_the_route_defaults(client: TestClient) -> None:
    options = client.get("/options").json()
    first = {name: options[name][0]["value"] for name in ("by", "threshold", "ci")}
    assert (
        client.get("/compare/response-rate").json()
        == client.get("/compare/response-rate", params=first).json()
    )


@pytest.mark.parametrize("option", ["drug", "drug_class", "design"])
def test_every_listed_name_is_accepted(client: TestClient, option: str) -> None:
    names = client.get("/options").json()[option]
    assert names
    for name in names:
        response = client.get("/compare/response-rate", params={option: name})
        assert response.status_code == 200, (name, response.text)


def test_check_names_the_valid_values() -> None:
    assert check("ci", "wilson") == "wilson"
    with pytest.raises(OptionError, match="valid: clopper-pearson, wilson, jeffreys"):
        check("ci", "bayes")
