"""SQLite's memory statistics switched off for the process (SQLITE_CONFIG_MEMSTATUS = 0).

With them on (the default of the library Python links), every allocation SQLite makes takes one
process-wide mutex to count it. The scan runs three connections in three threads (writer, reader,
checkpoints), and each row it reads, writes or turns into JSON allocates: `perf` put about 4% of the
first scan's CPU in that mutex (sqlite3Malloc / sqlite3_free), and the threads queued on it. Measured
in interleaved pairs, with the statistics off against on: the stress register's first scan 0.89× the
CPU and 0.93× the wall (ten pairs), the register's daily scan 0.90× and 0.96× (six pairs). The bot
reads no statistics and sets no soft heap limit (which needs them); memory_used() below is only the
check that SQLite is idle.

The setting can only change while SQLite is shut down, and shutting down is only allowed with no
connection open. Python's sqlite3 initializes the library on import, so: shut it down, set it, start
it again, once per process, and only while SQLite holds no memory at all (then no connection, statement
or backup exists in this process). Otherwise, or where the library cannot be reached, nothing changes:
the statistics stay on, which is correct, only slower.
"""

from __future__ import annotations

import ctypes
import logging
import sqlite3
import sys
import threading

import _sqlite3

log = logging.getLogger(__name__)

_SQLITE_CONFIG_MEMSTATUS = 9
_SQLITE_OK = 0
_lock = threading.Lock()
_tried = False


def _library() -> ctypes.CDLL | None:
    # The extension module's handle: dlsym finds sqlite3_* in it (SQLite built in) or in the libsqlite3
    # it links, the very library its connections use.
    try:
        lib = ctypes.CDLL(_sqlite3.__file__)
        for name in ("sqlite3_config", "sqlite3_shutdown", "sqlite3_initialize", "sqlite3_memory_used"):
            getattr(lib, name)
    except (OSError, AttributeError):
        return None
    lib.sqlite3_memory_used.restype = ctypes.c_int64
    return lib


def memory_used() -> int | None:
    """Bytes SQLite counts as allocated (always 0 once the statistics are off; None: not reachable)."""
    lib = _library()
    return None if lib is None else int(lib.sqlite3_memory_used())


def _counting_and_idle(lib: ctypes.CDLL) -> bool:
    """Whether the statistics are on (an open connection is counted: a library built with them off
    counts nothing, and its 0 would not mean idle) and SQLite holds nothing with none open."""
    if lib.sqlite3_memory_used() != 0:
        return False
    probe = sqlite3.connect(":memory:")
    try:
        counting = lib.sqlite3_memory_used() > 0
    finally:
        probe.close()
    return counting and lib.sqlite3_memory_used() == 0


def switch_off_once() -> bool:
    """Switch the statistics off, if this is the first call of the process and SQLite holds nothing;
    returns whether they are off now because of this call."""
    global _tried
    with _lock:
        if _tried:
            return False
        _tried = True
        # sqlite3_config is variadic: ctypes passes the int as Linux's calling conventions want it (on
        # Apple's arm64 variadic arguments go on the stack, where ctypes would not put it).
        if not sys.platform.startswith("linux"):
            return False
        lib = _library()
        if lib is None or not _counting_and_idle(lib):
            return False
        if lib.sqlite3_shutdown() != _SQLITE_OK:
            return False
        switched = lib.sqlite3_config(_SQLITE_CONFIG_MEMSTATUS, ctypes.c_int(0)) == _SQLITE_OK
        if lib.sqlite3_initialize() != _SQLITE_OK:      # sqlite3_open would initialize it anyway
            log.warning("sqlite3_initialize failed after switching memory statistics off")
        return switched
