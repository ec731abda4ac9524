"""A SPARQL worker process: confined first, then it loads the data once and answers jobs from a pipe.

Run as ``python -m api.sparql_worker FD PARENT_PID MEMORY_MB``. Messages are byte strings, never
pickles: the server sends the prefixes (JSON), the data's header (JSON: the path of a built store to
open read-only, or none) and the data (N-Quads, empty for a built store), then one JSON job at a time;
the worker answers each with a JSON header and the body.
"""

from __future__ import annotations

import json
import sys
from multiprocessing.connection import Connection

from api.sparql_sandbox import confine

READY = b"ready"


def serve(conn: Connection) -> None:
    """Load the store, say ready, then answer jobs until the pipe closes or a job retires the worker."""
    from api.sparql_engine import Job, execute, open_data  # imported after confinement

    prefixes = json.loads(conn.recv_bytes())
    store, union = open_data(conn.recv_bytes(), conn.recv_bytes())
    conn.send_bytes(READY)
    while True:
        try:
            job = Job.from_bytes(conn.recv_bytes())
        except (EOFError, OSError):  # the server closed the pipe or went away
            return
        outcome = execute(store, prefixes, job, union=union)
        conn.send_bytes(outcome.header())
        conn.send_bytes(outcome.body)
        if outcome.retire:
            return


def main(argv: list[str]) -> None:
    fd, parent_pid, memory_mb = (int(arg) for arg in argv[1:4])
    confine(parent_pid, memory_mb)
    serve(Connection(fd))


if __name__ == "__main__":
    main(sys.argv)
