"""The API documentation page, served offline: Swagger UI's files come from the fastapi-offline package."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from api.errors import not_found
from api.static import MEDIA_TYPES, STATIC_DIR

router = APIRouter(tags=["docs"])

SWAGGER_UI_DIR = Path(str(files("fastapi_offline") / "static"))
SWAGGER_UI_FILES = ("swagger-ui-bundle.js", "swagger-ui.css")


@router.get("/docs", response_class=FileResponse, include_in_schema=False)
def docs() -> FileResponse:
    """Swagger UI over /openapi.json; its start-up script is /static/docs.js (no inline script)."""
    return FileResponse(STATIC_DIR / "docs.html", media_type=MEDIA_TYPES[".html"])


@router.get("/docs/{filename}", response_class=FileResponse, include_in_schema=False)
def docs_file(filename: str) -> FileResponse:
    if filename not in SWAGGER_UI_FILES:
        raise not_found("docs file", filename, SWAGGER_UI_FILES)
    path = SWAGGER_UI_DIR / filename
    return FileResponse(path, media_type=MEDIA_TYPES[path.suffix])
