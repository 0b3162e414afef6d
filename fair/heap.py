"""The cycle collector's settings in a process that serves requests (``fair serve``).

CPython runs a young collection whenever the containers made since the last one outnumber
those freed by 700, and a full one over every object when enough have grown old. A process
serving 32 requests at once holds thousands of their objects at any moment, so under
``bench/load.py`` it ran some 1,600 young and a full collection every few seconds, each
full one over the 380,000 objects of the imported app (modules, routes, compiled
statements and templates): 10 % of the serving process's CPU, measured with
``gc.callbacks`` (docs/performance.md, "The sixth round").

Once the app has started, what exists lives as long as the process: ``gc.freeze()`` moves
it out of the collector's sight (a full collection looks only at what came after), and a
young collection waits for 20,000 containers more than were freed. A request's objects
are mostly freed by their reference counts when it ends; only the cycles among them wait
for a collection, at most some megabytes of them.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 20_000


def settle() -> None:
    """Called once the app has started, before it serves: the collector as above."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, older, oldest)
