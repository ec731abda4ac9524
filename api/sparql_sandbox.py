"""Confinement of a SPARQL worker process: no internet sockets, bounded memory, death with the server."""

from __future__ import annotations

import ctypes
import errno
import os
import resource
import signal
import socket

_PR_SET_PDEATHSIG = 1
# Syscalls that would let code in the worker reach the network without socket(2) passing the filter:
# io_uring can create sockets on its own ring (IORING_OP_SOCKET), so the ring itself is refused.
_IO_URING = ("io_uring_setup", "io_uring_enter", "io_uring_register")


class SandboxError(RuntimeError):
    """The confinement could not be installed; the worker must not serve queries."""


def confine(parent_pid: int, memory_mb: int) -> None:
    """Die with `parent_pid`, cap the address space at `memory_mb` MiB and deny every non-local socket.

    Called first thing in the worker, before it reads any data or query. Raises SandboxError when
    a guard cannot be installed, so that a worker never runs unconfined.
    """
    die_with_parent(parent_pid)
    limit_memory(memory_mb)
    deny_network()


def die_with_parent(parent_pid: int) -> None:
    """SIGKILL this process when the thread that started it exits, and exit now if it already has."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise SandboxError(f"prctl(PR_SET_PDEATHSIG) failed: errno {ctypes.get_errno()}")
    if os.getppid() != parent_pid:  # the server died before the signal was armed
        os._exit(1)


def limit_memory(memory_mb: int) -> None:
    """An address-space limit: an allocation past it fails, which ends the worker, not the server."""
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crashing query leaves no core file


def deny_network() -> None:
    """A seccomp filter: socket(2) and socketpair(2) fail with EPERM for every domain but AF_UNIX.

    The filter is inherited by every thread (TSYNC) and cannot be removed; system calls of another
    architecture (32-bit entry points) kill the process, libseccomp's default for a foreign ABI.
    """
    try:
        import pyseccomp as seccomp
    except (ImportError, OSError) as exc:  # OSError: libseccomp.so.2 missing
        raise SandboxError(f"seccomp is unavailable: {exc}") from None
    try:
        flt = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
        for call in ("socket", "socketpair"):
            flt.add_rule(seccomp.ERRNO(errno.EPERM), call, seccomp.Arg(0, seccomp.NE, socket.AF_UNIX))
        for call in _IO_URING:
            flt.add_rule(seccomp.ERRNO(errno.EPERM), call)
        flt.set_attr(seccomp.Attr.CTL_TSYNC, 1)
        flt.load()
    except (OSError, RuntimeError, ValueError) as exc:
        raise SandboxError(f"the seccomp filter could not be installed: {exc}") from None
