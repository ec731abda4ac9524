"""The drawings as SVG, PNG or PDF by the file name (the command line) or the route (REST): real files
through CairoSVG, the refusal of any other suffix, and the SVG byte for byte the same on every run."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from kb.cli import main
from kb.knowledge_base import KnowledgeBase
from kb.render.image_formats import PNG_SCALE, ImageFormatError, convert, image_format, svg_size

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PDF_MAGIC = b"%PDF-"


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_MAGIC
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk
    return width, height


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def client(kb: KnowledgeBase) -> Iterator[TestClient]:
    with TestClient(create_app(kb, Settings.from_env(allowed_hosts=("testserver",)))) as test_client:
        yield test_client


@pytest.mark.parametrize("suffix", [".svg", ".SVG", ".png", ".pdf"])
def test_image_format_follows_the_suffix(suffix: str) -> None:
    assert image_format(f"plots/forest{suffix}") == suffix.lower().lstrip(".")


@pytest.mark.parametrize("name", ["forest.jpg", "forest.svg.txt", "forest"])
def test_any_other_suffix_is_refused_naming_it_and_the_accepted_ones(name: str) -> None:
    with pytest.raises(ImageFormatError) as refused:
        image_format(name)
    message = str(refused.value)
    assert name in message
    assert ".svg, .png and .pdf" in message


def test_cli_forest_writes_each_format_by_suffix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    written = {}
    for suffix in ("svg", "png", "pdf"):
        out = tmp_path / f"forest.{suffix}"
        code, stdout, _ = _run(capsys, "plot", "forest", "--by", "regimen", "--out", str(out))
        assert code == 0 and stdout == ""
        written[suffix] = out.read_bytes()
    svg = written["svg"].decode("utf-8")
    assert svg.startswith("<svg ")
    assert written["pdf"].startswith(PDF_MAGIC)
    # The PNG is drawn at PNG_SCALE times the SVG's size, so that its text reads at twice the pixels.
    width, height = svg_size(svg)
    assert _png_size(written["png"]) == (round(width * PNG_SCALE), round(height * PNG_SCALE))


def test_cli_network_writes_each_format_by_suffix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for suffix, magic in (("svg", b"<svg "), ("png", PNG_MAGIC), ("pdf", PDF_MAGIC)):
        out = tmp_path / f"regimens.{suffix}"
        code, _, _ = _run(capsys, "network", "--kind", "regimens", "--format", "svg", "--out", str(out))
        assert code == 0
        assert out.read_bytes().startswith(magic)


@pytest.mark.parametrize(
    "command",
    [("plot", "forest"), ("network", "--kind", "regimens", "--format", "svg")],
    ids=["forest", "network"],
)
def test_cli_refuses_another_suffix_in_one_line(
    command: tuple[str, ...], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "drawing.jpg"
    code, stdout, err = _run(capsys, *command, "--out", str(out))
    assert code == 2 and stdout == ""
    assert err.splitlines() == [
        f"mmkb: error: {out}: cannot write a drawing to a .jpg file; "
        "the suffixes written are .svg, .png and .pdf"
    ]
    assert not out.exists()


def test_cli_without_out_prints_svg(capsys: pytest.CaptureFixture[str]) -> None:
    code, stdout, _ = _run(capsys, "plot", "forest")
    assert code == 0 and stdout.startswith("<svg ")


def test_the_same_table_gives_the_same_bytes_in_every_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for suffix in ("svg", "pdf"):
        first, second = tmp_path / f"1.{suffix}", tmp_path / f"2.{suffix}"
        assert _run(capsys, "plot", "forest", "--by", "study", "--out", str(first))[0] == 0
        assert _run(capsys, "plot", "forest", "--by", "study", "--out", str(second))[0] == 0
        assert first.read_bytes() == second.read_bytes()


def test_a_png_too_large_is_refused_with_what_to_do() -> None:
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="9000" viewBox="0 0 100 9000"></svg>'
    with pytest.raises(ImageFormatError, match="ask for SVG or PDF"):
        convert(svg, "png")
    assert convert(svg, "pdf").startswith(PDF_MAGIC)


@pytest.mark.parametrize(
    ("suffix", "media_type", "magic"),
    [
        ("svg", "image/svg+xml", b"<svg "),
        ("png", "image/png", PNG_MAGIC),
        ("pdf", "application/pdf", PDF_MAGIC),
    ],
)
def test_rest_forest_in_each_format(client: TestClient, suffix: str, media_type: str, magic: bytes) -> None:
    response = client.get(f"/plots/forest.{suffix}", params={"by": "regimen", "endpoint": "response"})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media_type
    assert response.content.startswith(magic)


def test_rest_png_is_the_svg_drawn_larger(client: TestClient) -> None:
    params = {"by": "study", "threshold": "VGPR"}
    svg = client.get("/plots/forest.svg", params=params).text
    png = client.get("/plots/forest.png", params=params).content
    width, height = svg_size(svg)
    assert _png_size(png) == (round(width * PNG_SCALE), round(height * PNG_SCALE))


@pytest.mark.parametrize("suffix", ["png", "pdf"])
def test_rest_formats_take_the_same_parameters(client: TestClient, suffix: str) -> None:
    response = client.get(f"/plots/forest.{suffix}", params={"threshold": "XR"})
    assert response.status_code == 422
    assert "XR" in response.json()["error"]
    assert client.get(f"/plots/forest.{suffix}", params={"endpoint": "pfs"}).status_code == 200
