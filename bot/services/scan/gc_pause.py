"""Python's cyclic garbage collector paused while the scan runs.

The first scan of a large register builds millions of small containers (a JSON row per member, a list
line per row, outbox tuples) that live until their chunk is written. Each allocation burst triggers the
generational collector, which walks the rows still alive again and again: profiled, about a seventh of
the event loop's time in the backlog. The scan makes no reference cycles that matter (its objects are
freed by reference counting as each chunk ends), so the collector is paused for its duration (its next
regular run collects whatever is left). Scans may overlap (the scheduler's and a secretary's /scan): the last one out resumes it.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator

_paused = 0          # scans running with the collector paused
_was_enabled = False


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    global _paused, _was_enabled
    if _paused == 0:
        _was_enabled = gc.isenabled()
        gc.disable()
    _paused += 1
    try:
        yield
    finally:
        _paused -= 1
        if _paused == 0 and _was_enabled:
            gc.enable()
