"""Service settings: one frozen record, read from MMKB_* environment variables and `mmkb serve` options."""

from __future__ import annotations

import argparse
import dataclasses
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


def _setting(default: Any, env: str, help: str, metavar: str | None = None) -> Any:
    """A field with its environment variable and the help text shared by the CLI and the README."""
    return field(default=default, metadata={"env": env, "help": help, "metavar": metavar})


class SettingsError(ValueError):
    """A setting whose value cannot be used; the message names the variable or option."""


@dataclass(frozen=True)
class Settings:
    """Every limit and switch of the service. Defaults suit a single machine serving its own users."""

    # What is served: a built store, or (none) the curated files
    store: str = _setting(
        "",
        "MMKB_STORE",
        "a built store (mmkb build --store DIR) to serve, opened read-only; the build it points to at start "
        "is served until a restart",
        metavar="DIR",
    )
    # SPARQL evaluation
    sparql_deadline_seconds: float = _setting(
        10.0, "MMKB_SPARQL_DEADLINE", "seconds a SPARQL query may run (parsing included) before 503"
    )
    sparql_max_rows: int = _setting(
        10000, "MMKB_SPARQL_MAX_ROWS", "most rows or triples in one SPARQL answer"
    )
    sparql_max_result_bytes: int = _setting(
        16 * 1024 * 1024, "MMKB_SPARQL_MAX_RESULT_BYTES", "most bytes in one serialized SPARQL answer"
    )
    sparql_max_query_bytes: int = _setting(
        100 * 1024, "MMKB_SPARQL_MAX_QUERY_BYTES", "longest SPARQL query text accepted, in bytes"
    )
    sparql_workers: int = _setting(2, "MMKB_SPARQL_WORKERS", "worker processes evaluating SPARQL")
    sparql_queue: int = _setting(
        16, "MMKB_SPARQL_QUEUE", "SPARQL requests that may wait for a worker; more are answered 503 at once"
    )
    sparql_worker_memory_mb: int = _setting(
        2048,
        "MMKB_SPARQL_WORKER_MEMORY_MB",
        "memory limit of each SPARQL worker process, in MiB (a worker on a built store gets 512 MiB more "
        "address space to open it)",
    )
    # HTTP
    max_body_bytes: int = _setting(
        1024 * 1024, "MMKB_MAX_BODY_BYTES", "largest request body accepted on any route, in bytes"
    )
    client_timeout_seconds: float = _setting(
        10.0,
        "MMKB_CLIENT_TIMEOUT",
        "seconds a client may take to send its request (or stay idle) before cut off",
    )
    allowed_hosts: tuple[str, ...] = _setting(
        ("127.0.0.1", "localhost", "[::1]", "::1"),
        "MMKB_ALLOWED_HOSTS",
        "Host header values accepted, comma-separated ('*' accepts any)",
    )
    cors_origins: tuple[str, ...] = _setting(
        (), "MMKB_CORS_ORIGINS", "origins allowed cross-origin reads and writes, comma-separated"
    )

    # Server
    host: str = _setting("127.0.0.1", "MMKB_HOST", "address to listen on; its name is always an allowed host")
    port: int = _setting(8000, "MMKB_PORT", "TCP port to listen on")

    # Response cache (api/cache.py): 0 in any of these turns it off
    response_cache_entries: int = _setting(
        1024, "MMKB_RESPONSE_CACHE_ENTRIES", "most GET answers the response cache keeps; 0 turns it off"
    )
    response_cache_bytes: int = _setting(
        64 * 1024 * 1024, "MMKB_RESPONSE_CACHE_BYTES", "most bytes the response cache keeps in all"
    )
    response_cache_entry_bytes: int = _setting(
        16 * 1024 * 1024, "MMKB_RESPONSE_CACHE_ENTRY_BYTES", "largest answer the response cache keeps"
    )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then MMKB_* variables from `environ` (os.environ when None), then `overrides`."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            env = f.metadata["env"]
            if env in environ:
                values[f.name] = checked_value(f, environ[env], env)
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**values)
        settings.check()
        return settings

    def check(self) -> None:
        """SettingsError, naming the variable, when a value is out of range."""
        for f in dataclasses.fields(self):
            problem = value_problem(f, getattr(self, f.name))
            if problem:
                raise SettingsError(f"{f.metadata['env']} {problem}")


# Settings for which 0 is a value: it turns the feature off.
ZERO_TURNS_OFF = ("response_cache_",)


def value_problem(f: dataclasses.Field[Any], value: Any) -> str:
    """What is wrong with `value` for field `f`, or '' when it is usable."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        if f.name.startswith(ZERO_TURNS_OFF):
            if value < 0:
                return f"must be 0 or more, not {value}"
        elif value <= 0:
            return f"must be positive, not {value}"
    if f.name == "port" and value > 65535:
        return f"must be a TCP port (1 to 65535), not {value}"
    return ""


def parse_value(f: dataclasses.Field[Any], text: str) -> Any:
    """`text` as the type of field `f`; SettingsError saying why when it does not parse."""
    default = f.default
    try:
        if isinstance(default, tuple):
            return tuple(part.strip() for part in text.split(",") if part.strip())
        if isinstance(default, bool):
            return text.strip().lower() in ("1", "true", "yes", "on")
        if isinstance(default, int):
            return int(text)
        if isinstance(default, float):
            return float(text)
    except ValueError:
        raise SettingsError(f"{text!r} is not a valid {type(default).__name__}") from None
    return text


def checked_value(f: dataclasses.Field[Any], text: str, name: str) -> Any:
    """`text` parsed and checked for field `f`; SettingsError naming `name` (variable or option)."""
    try:
        value = parse_value(f, text)
    except SettingsError as exc:
        raise SettingsError(f"{name}: {exc}") from None
    problem = value_problem(f, value)
    if problem:
        raise SettingsError(f"{name} {problem}")
    return value


def add_options(parser: argparse.ArgumentParser) -> None:
    """One option per setting (--max-body-bytes for max_body_bytes), its help naming variable and default."""
    for f in dataclasses.fields(Settings):
        default = (",".join(f.default) if isinstance(f.default, tuple) else str(f.default)) or "none"
        text = f"{f.metadata['help']} (env {f.metadata['env']}; default {default})"
        parser.add_argument(
            "--" + f.name.replace("_", "-"),
            dest=f.name,
            default=None,
            type=_option_type(f),
            metavar=f.metadata["metavar"] or _metavar(f.default),
            help=text.replace("%", "%%"),
        )


def _metavar(default: Any) -> str:
    return "A,B,..." if isinstance(default, tuple) else type(default).__name__.upper()


def _option_type(f: dataclasses.Field[Any]) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        value = parse_value(f, text)
        problem = value_problem(f, value)
        if problem:
            raise argparse.ArgumentTypeError(problem)
        return value

    parse.__name__ = type(f.default).__name__  # argparse names the type in its message on ValueError
    return parse


def from_args(args: argparse.Namespace) -> Settings:
    """Settings from parsed options (add_options), over MMKB_* variables, over the defaults."""
    return Settings.from_env(**{f.name: getattr(args, f.name, None) for f in dataclasses.fields(Settings)})
