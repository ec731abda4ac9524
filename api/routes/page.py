"""The web page: `/` serves index.html, `/static/<file>` its script and style, and the query text of
each named question as `/questions/<name>.rq` for the page's SPARQL box."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, PlainTextResponse

from api.errors import error_responses, not_found
from kb.questions import question, questions

router = APIRouter(tags=["page"])

STATIC_DIR = Path(__file__).parent.parent / "static"
MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
}


@router.get("/", response_class=FileResponse, include_in_schema=False)
def index() -> FileResponse:
    return FileResponse(STATIC_DIR / "index.html", media_type=MEDIA_TYPES[".html"])


@router.get("/static/{filename}", response_class=FileResponse, responses=error_responses(404))
def static(filename: str) -> FileResponse:
    """One of the page's own files; nothing else under the package is reachable."""
    files = sorted(p.name for p in STATIC_DIR.iterdir() if p.suffix in MEDIA_TYPES)
    if filename not in files:
        raise not_found("static file", filename, files)
    path = STATIC_DIR / filename
    return FileResponse(path, media_type=MEDIA_TYPES[path.suffix])


@router.get(
    "/questions/{name}.rq",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain": {}}}, **error_responses(404)},
)
def question_text(name: str) -> PlainTextResponse:
    """The SPARQL text of one named question, header comments included."""
    names = [q.name for q in questions()]
    if name not in names:
        raise not_found("question", name, names)
    return PlainTextResponse(question(name).text)
