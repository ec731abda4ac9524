"""The web page: `/` serves index.html, `/static/<file>` its script and style, and the query text of
each named question as `/questions/<name>.rq` for the page's SPARQL box."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, PlainTextResponse

from api.errors import error_responses, not_found
from api.static import MEDIA_TYPES, STATIC_DIR
from kb.analysis.questions import question, question_names

router = APIRouter(tags=["page"])

QUESTION_NAMES = question_names()

STATIC_FILES = sorted(p.name for p in STATIC_DIR.iterdir() if p.suffix in MEDIA_TYPES)


@router.get("/", response_class=FileResponse, include_in_schema=False)
def index() -> FileResponse:
    return FileResponse(STATIC_DIR / "index.html", media_type=MEDIA_TYPES[".html"])


@router.get("/static/{filename}", response_class=FileResponse, responses=error_responses(404))
def static(filename: Annotated[str, PathParam(json_schema_extra={"enum": STATIC_FILES})]) -> FileResponse:
    """One of the page's own files; nothing else under the package is reachable."""
    if filename not in STATIC_FILES:
        raise not_found("static file", filename, STATIC_FILES)
    path = STATIC_DIR / filename
    return FileResponse(path, media_type=MEDIA_TYPES[path.suffix])


@router.get(
    "/questions/{name}.rq",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain": {}}}, **error_responses(404)},
)
def question_text(
    name: Annotated[str, PathParam(json_schema_extra={"enum": QUESTION_NAMES})],
) -> PlainTextResponse:
    """The SPARQL text of one named question, header comments included."""
    if name not in QUESTION_NAMES:
        raise not_found("question", name, QUESTION_NAMES)
    return PlainTextResponse(question(name).text)
