"""A drawing written as SVG, PNG or PDF according to the file name it goes to: the SVG as it is, PNG and PDF
converted from it by CairoSVG (which needs the cairo library, Debian's libcairo2)."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

SVG, PNG, PDF = "svg", "png", "pdf"
MEDIA_TYPES = {SVG: "image/svg+xml", PNG: "image/png", PDF: "application/pdf"}
SUFFIXES = tuple(f".{name}" for name in MEDIA_TYPES)

# A PNG is drawn at twice the SVG's size, so that its 12 px text is 24 px and reads at any zoom.
PNG_SCALE = 2.0
# The most pixels a PNG side may have (cairo's own limit is 32,767); a taller drawing is refused.
PNG_MAX_SIDE = 16_384


class ImageFormatError(ValueError):
    """A file name or drawing that cannot be written as an image, with what to do instead."""


class ImageLibraryMissing(OSError):
    """PNG and PDF need the cairo library, which this machine lacks: SVG is still written."""


def _cairosvg() -> Any:
    """CairoSVG, or ImageLibraryMissing when the cairo library it loads is not installed."""
    try:
        import cairosvg
    except (ImportError, OSError) as exc:
        raise ImageLibraryMissing(
            f"PNG and PDF need the cairo library ({exc}); install it (Debian: apt-get install libcairo2) "
            "or write SVG"
        ) from None
    return cairosvg


def image_format(path: str | PurePath) -> str:
    """The format a drawing is written in to `path`: svg, png or pdf by its suffix (any case)."""
    suffix = PurePath(path).suffix
    name = suffix.lower().lstrip(".")
    if name not in MEDIA_TYPES:
        given = f"a {suffix} file" if suffix else "a file without a suffix"
        raise ImageFormatError(
            f"{path}: cannot write a drawing to {given}; the suffixes written are "
            f"{', '.join(SUFFIXES[:-1])} and {SUFFIXES[-1]}"
        )
    return name


def svg_size(svg: str) -> tuple[float, float]:
    """The width and height of a drawing written by kb.render, from its opening tag."""
    head = svg[: svg.index(">")]
    values = {}
    for name in ("width", "height"):
        start = head.index(f' {name}="') + len(name) + 3
        values[name] = float(head[start : head.index('"', start)])
    return values["width"], values["height"]


def convert(svg: str, fmt: str) -> bytes:
    """The drawing `svg` in format `fmt` (svg, png or pdf). A PNG is scaled by PNG_SCALE and refused when a
    side would pass PNG_MAX_SIDE pixels; SVG and PDF have no such limit. The same drawing gives the same
    bytes in each format."""
    if fmt == SVG:
        return svg.encode("utf-8")
    if fmt not in MEDIA_TYPES:
        raise ImageFormatError(f"no image format {fmt!r}; the formats are {', '.join(MEDIA_TYPES)}")
    cairosvg = _cairosvg()
    data = svg.encode("utf-8")
    if fmt == PNG:
        width, height = svg_size(svg)
        side = max(width, height) * PNG_SCALE
        if side > PNG_MAX_SIDE:
            raise ImageFormatError(
                f"the drawing would be {side:.0f} px on its longest side as PNG, more than {PNG_MAX_SIDE}; "
                "narrow the selection, or ask for SVG or PDF"
            )
        return bytes(cairosvg.svg2png(bytestring=data, scale=PNG_SCALE))
    return bytes(_undated_pdf_surface().convert(bytestring=data))


def _undated_pdf_surface() -> Any:
    """CairoSVG's PDF writer without the creation date cairo stamps by default, so that the same drawing
    gives the same PDF bytes."""
    _cairosvg()
    import cairocffi
    from cairosvg.surface import PDFSurface

    class UndatedPDFSurface(PDFSurface):  # type: ignore[misc]
        def _create_surface(self, width: float, height: float) -> tuple[Any, float, float]:
            surface, width, height = super()._create_surface(width, height)
            surface.set_metadata(cairocffi.PDF_METADATA_CREATE_DATE, "")
            return surface, width, height

    return UndatedPDFSurface
