"""Real SPARQL servers for tests: an Oxigraph server and a Virtuoso Open Source instance, each on a free
127.0.0.1 port with its data in a temporary directory, killed by the time limit it runs under if a test
run dies, and stopped (by its process id) when the test is done."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from kb.graph.remote import CATALOGUE, RemoteGraphStore
from kb.graph.store import Location
from tests.api.conftest import free_port

LIFETIME_SECONDS = 3600  # a server outlives no test session by more than this
START_SECONDS = 60
VIRTUOSO_INI = Path("/etc/virtuoso-opensource-7/virtuoso.ini")
# The Virtuoso account these tests write with (the administrator of a fresh database; Virtuoso takes
# SPARQL updates with digest authentication at /sparql-auth).
VIRTUOSO_USER = ("dba", "dba")


@dataclass(frozen=True)
class Server:
    name: str
    base: str  # http://127.0.0.1:PORT
    location: str  # the mmkb location string that reaches it
    log: Path
    env: dict[str, str] = field(default_factory=dict)  # the credentials mmkb reads from the environment


def oxigraph_binary() -> str | None:
    beside = Path(sys.executable).parent / "oxigraph"  # installed by pip into the test environment
    return str(beside) if beside.exists() else shutil.which("oxigraph")


def virtuoso_binary() -> str | None:
    return shutil.which("virtuoso-t")


def require(binary: str | None, name: str, install: str) -> str:
    if binary is None:
        pytest.fail(f"{name} is not installed here: {install} (.ci/run installs it)")
    return binary


@contextmanager
def _running(command: list[str], log: Path, ready_url: str, name: str) -> Iterator[subprocess.Popen[bytes]]:
    """Start the command under a time limit, wait until `ready_url` answers, stop it afterwards."""
    limited = ["timeout", "--kill-after=10", str(LIFETIME_SECONDS), *command]
    with log.open("wb") as out:
        process = subprocess.Popen(limited, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited at start: {log.read_text(errors='replace')[-2000:]}")
            try:
                if httpx.get(ready_url, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not answer within {START_SECONDS} s; see {log}")
            time.sleep(0.1)
        yield process
    finally:
        process.terminate()  # `timeout` passes the signal on to the server
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@contextmanager
def oxigraph_server(folder: Path, *, gsp: bool = True) -> Iterator[Server]:
    """`oxigraph serve` on an on-disk store in `folder`; its location names the update endpoint and,
    when `gsp`, the Graph Store Protocol endpoint."""
    binary = require(oxigraph_binary(), "the oxigraph server", "pip install oxigraph")
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [binary, "serve", "--location", str(folder / "data"), "--bind", f"127.0.0.1:{port}"]
    ready = f"{base}/query?query=ASK%7B%7D"
    with _running([*command, "--timeout-s", "120"], folder / "oxigraph.log", ready, "oxigraph serve"):
        options = "update=/update&gsp=/store" if gsp else "update=/update"
        yield Server("oxigraph", base, f"sparql+{base}/query?{options}", folder / "oxigraph.log")


def virtuoso_ini(folder: Path, sql_port: int, http_port: int, max_rows: int) -> Path:
    """A copy of the packaged virtuoso.ini with the database in `folder`, both ports on 127.0.0.1, no
    plugins, and answers cut at `max_rows` rows (the packaged 10,000 would cut some of these tests')."""
    ini = configparser.ConfigParser(strict=False, inline_comment_prefixes=(";",), interpolation=None)
    ini.optionxform = str  # type: ignore[assignment,method-assign]
    ini.read(VIRTUOSO_INI)
    files = {
        ("Database", "DatabaseFile"): "virtuoso.db",
        ("Database", "ErrorLogFile"): "virtuoso.log",
        ("Database", "LockFile"): "virtuoso.lck",
        ("Database", "TransactionFile"): "virtuoso.trx",
        ("Database", "xa_persistent_file"): "virtuoso.pxa",
        ("TempDatabase", "DatabaseFile"): "virtuoso-temp.db",
        ("TempDatabase", "TransactionFile"): "virtuoso-temp.trx",
    }
    for (section, key), name in files.items():
        ini[section][key] = str(folder / name)
    ini["Parameters"]["ServerPort"] = f"127.0.0.1:{sql_port}"
    ini["Parameters"].pop("VADInstallDir", None)  # no web applications installed into the test database
    ini["HTTPServer"]["ServerPort"] = f"127.0.0.1:{http_port}"
    ini["SPARQL"]["ResultSetMaxRows"] = str(max_rows)
    ini["SPARQL"]["MaxQueryExecutionTime"] = "120"
    # Virtuoso refuses a query whose estimated cost passes this many seconds before running it; its estimate
    # for a pattern of several OPTIONALs (penta-refractory-candidates: about 400 to 1,800, varying between
    # runs) says nothing of these few thousand statements, which it answers at once. The execution limit
    # above still bounds every query.
    ini["SPARQL"]["MaxQueryCostEstimationTime"] = "3600"
    ini.remove_section("Plugins")
    path = folder / "virtuoso.ini"
    with path.open("w") as out:
        ini.write(out)
    return path


@contextmanager
def virtuoso_server(folder: Path, *, max_rows: int = 10_000_000) -> Iterator[Server]:
    """`virtuoso-t +foreground` on a fresh database in `folder`; updates go to /sparql-auth with digest
    authentication (the credentials are in the server's `env`)."""
    binary = require(virtuoso_binary(), "Virtuoso", "apt-get install virtuoso-opensource")
    if not VIRTUOSO_INI.exists():
        pytest.fail(
            f"Virtuoso's configuration {VIRTUOSO_INI} is missing: apt-get install virtuoso-opensource"
        )
    folder.mkdir(parents=True, exist_ok=True)
    http_port = free_port()
    ini = virtuoso_ini(folder, free_port(), http_port, max_rows)
    base = f"http://127.0.0.1:{http_port}"
    ready = f"{base}/sparql?query=ASK%7B%7D"
    with _running([binary, "+foreground", "+configfile", str(ini)], folder / "out.log", ready, "virtuoso-t"):
        user, password = VIRTUOSO_USER
        env = {"MMKB_SPARQL_USER": user, "MMKB_SPARQL_PASSWORD": password, "MMKB_SPARQL_AUTH": "digest"}
        yield Server("virtuoso", base, f"sparql+{base}/sparql-auth", folder / "out.log", env)


def empty(server: Server) -> None:
    """Remove every graph mmkb wrote to the server, and its catalogue (Virtuoso's own graphs stay)."""
    store = RemoteGraphStore(Location.parse(server.location), server.env)
    for graph in store.graph_names():
        store.clear_graph(graph)
    store.client.update(f"DROP SILENT GRAPH <{CATALOGUE}>")
    store.client.close()
