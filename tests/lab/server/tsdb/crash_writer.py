"""A TSDB writer for the kill -9 test: prints each committed batch's timestamp.

``python -m tests.lab.server.tsdb.crash_writer DIR START_MS`` appends one
sample per series per batch (10 minutes apart, so compactions, head
truncations and checkpoints happen along the way), commits, and only then
prints the batch's timestamp: every printed timestamp is acknowledged.
"""

from __future__ import annotations

import sys

from lab.model.labels import Labels
from lab.server.tsdb import DB

SERIES = [Labels.of(__name__="crash_test", n=str(i)) for i in range(20)]
STEP_MS = 600_000


def main() -> None:
    directory, start = sys.argv[1], int(sys.argv[2])
    db = DB.open(directory, retention_time_ms=None)
    app = db.appender()
    t = start
    batch = 0
    while True:
        for labels in SERIES:
            app.append(labels, t, float(t))
        app.commit()
        print(t, flush=True)
        t += STEP_MS
        batch += 1
        if batch % 7 == 0:
            db.compact()


if __name__ == "__main__":
    main()
