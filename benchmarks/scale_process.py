"""Child processes for the scale benchmark, each bounded in time and memory, with their peak RSS.

A child runs in a session of its own, so that stopping it stops everything it started (the service's
SPARQL workers too): SIGTERM to its process group, SIGKILL five seconds later. A watcher thread samples
the RSS of the child and its descendants ten times a second and stops the child when the time limit
passes, when their RSS passes the memory limit, or when the machine has less than RESERVE_MIB
available, so that a size that does not fit is reported as such instead of pushing the machine into
swap or the kernel's OOM killer. The peak RSS is the larger of the sampled peak and the child's own
`ru_maxrss` (exact for the child process, read from wait4 when it ends).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parent.parent
MIB = 1024 * 1024
# Memory the machine must keep available while a child runs (MiB).
RESERVE_MIB = 1024
SAMPLE_SECONDS = 0.1
TERM_GRACE_SECONDS = 5.0


def tree_rss(pid: int) -> int:
    """Bytes resident in the process and its descendants (0 when it is gone)."""
    try:
        process = psutil.Process(pid)
        members = [process, *process.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for member in members:
        with contextlib.suppress(psutil.Error):
            total += member.memory_info().rss
    return total


class Child:
    """One child process under a time limit and a memory limit (see the module docstring)."""

    def __init__(
        self, command: Sequence[str], *, seconds: float, max_rss_mib: float, env: dict[str, str] | None = None
    ) -> None:
        self.command = list(command)
        self.max_rss = max_rss_mib * MIB
        # closed with the object: they hold what the child printed until the report has read it
        self.out = tempfile.TemporaryFile()  # noqa: SIM115
        self.err = tempfile.TemporaryFile()  # noqa: SIM115
        self.started = time.monotonic()
        self.deadline = self.started + seconds
        self.process = subprocess.Popen(
            self.command,
            cwd=ROOT,
            env={**os.environ, **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=self.out,
            stderr=self.err,
            start_new_session=True,
        )
        self.pid = self.process.pid
        self.peak_rss = 0
        self.returncode: int | None = None
        self.ended: float | None = None
        self.stopped: str | None = None  # why it was stopped: "time", "memory", "machine" or "asked"
        self._signalled: float | None = None
        self._done = threading.Event()
        self._watcher = threading.Thread(target=self._watch, daemon=True)
        self._watcher.start()

    def _watch(self) -> None:
        while True:
            pid, status, usage = os.wait4(self.pid, os.WNOHANG)
            if pid:
                self.returncode = self.process.returncode = os.waitstatus_to_exitcode(status)
                self.peak_rss = max(self.peak_rss, usage.ru_maxrss * 1024)
                break
            self.peak_rss = max(self.peak_rss, tree_rss(self.pid))
            now = time.monotonic()
            if self.stopped is None:
                if now > self.deadline:
                    self._stop("time")
                elif self.peak_rss > self.max_rss:
                    self._stop("memory")
                elif psutil.virtual_memory().available < RESERVE_MIB * MIB:
                    self._stop("machine")
            elif self._signalled is not None and now > self._signalled + TERM_GRACE_SECONDS:
                self._signal(signal.SIGKILL)
            time.sleep(SAMPLE_SECONDS)
        self._signal(signal.SIGKILL)  # anything of its session still running
        self.ended = time.monotonic()
        self._done.set()

    def _signal(self, which: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, which)

    def _stop(self, why: str) -> None:
        self.stopped = why
        self._signalled = time.monotonic()
        self._signal(signal.SIGTERM)

    @property
    def running(self) -> bool:
        return not self._done.is_set()

    def stop(self) -> None:
        """Stop the child (if it still runs) and wait until it has ended."""
        if self.running and self.stopped is None:
            self._stop("asked")
        self._done.wait()

    def wait(self) -> None:
        """Wait for the child to end by itself or at its limits."""
        self._done.wait()

    def seconds(self) -> float:
        return (self.ended or time.monotonic()) - self.started

    def stdout(self) -> str:
        self.out.seek(0)
        return self.out.read().decode("utf-8", "replace")

    def stderr(self) -> str:
        self.err.seek(0)
        return self.err.read().decode("utf-8", "replace")

    def outcome(self) -> dict[str, Any]:
        """How the child ended: seconds, peak RSS, and `failed` with the reason when it did not succeed."""
        found: dict[str, Any] = {
            "seconds": round(self.seconds(), 3),
            "peak_rss_mib": round(self.peak_rss / MIB, 1),
            "ended_at": self.ended,  # on the monotonic clock, which child processes share
        }
        if self.stopped == "time":
            found["failed"] = f"not finished within {self.deadline - self.started:.0f} s"
        elif self.stopped == "memory":
            found["failed"] = f"out of memory: over {self.max_rss / MIB:,.0f} MiB"
        elif self.stopped == "machine":
            found["failed"] = f"out of memory: the machine had under {RESERVE_MIB} MiB available"
        elif self.returncode != 0 and self.stopped is None:
            lines = self.stderr().strip().splitlines() or [f"exit status {self.returncode}"]
            found["failed"] = lines[-1][:500]
        return found


def run_child(
    command: Sequence[str], *, seconds: float, max_rss_mib: float
) -> tuple[dict[str, Any], list[dict]]:
    """Run a child to its end; its outcome and the JSON lines it printed (the last is its result)."""
    child = Child(command, seconds=seconds, max_rss_mib=max_rss_mib)
    child.wait()
    return child.outcome(), json_lines(child.stdout())


def json_lines(text: str) -> list[dict[str, Any]]:
    lines = []
    for line in text.splitlines():
        if line.startswith("{"):
            try:
                lines.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return lines
