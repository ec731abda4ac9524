"""The vocabulary: its documentation at /ontology, and the ontology itself at its namespace IRI's path
(https://w3id.org/mmkb/vocab# -> /vocab) as Turtle, JSON-LD, N-Triples or the documentation, by Accept
or `format=`. Both are built once per process (kb.render.ontology_docs) and kept."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from api.negotiation import choose_format
from api.static import MEDIA_TYPES as STATIC_MEDIA_TYPES
from kb.render.ontology_docs import VOCABULARY_FORMATS, ontology_html, stylesheet, vocabulary_bytes

router = APIRouter(tags=["ontology"])

STYLESHEET_PATH = "/ontology/pylode.css"
MEDIA_TYPES = {name: media for name, (media, _) in VOCABULARY_FORMATS.items()} | {"html": "text/html"}


def _page() -> HTMLResponse:
    return HTMLResponse(ontology_html(STYLESHEET_PATH))


@router.get("/ontology", response_class=HTMLResponse)
def ontology() -> HTMLResponse:
    """The vocabulary's documentation: classes, properties, concept schemes, SHACL shapes, examples."""
    return _page()


@router.get("/ontology/pylode.css", include_in_schema=False)
def ontology_stylesheet() -> Response:
    return Response(stylesheet(), media_type=STATIC_MEDIA_TYPES[".css"])


@router.get(
    "/vocab",
    response_class=Response,
    responses={200: {"content": {media: {} for media in MEDIA_TYPES.values()}}},
)
def vocab(
    request: Request,
    format: Annotated[
        str | None, Query(description="overrides Accept", json_schema_extra={"enum": list(MEDIA_TYPES)})
    ] = None,
) -> Response:
    """The ontology (vocabulary and concept schemes); Turtle unless Accept or `format=` asks otherwise."""
    fmt = choose_format(request, format, MEDIA_TYPES, "turtle")
    response = _page() if fmt == "html" else Response(vocabulary_bytes(fmt), media_type=MEDIA_TYPES[fmt])
    response.headers["vary"] = "Accept"
    return response
