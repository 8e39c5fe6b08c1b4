"""How a serving process is tuned once its app is built: the garbage collector, glibc's malloc
arenas and heap. ``serve`` calls
:func:`limit_malloc_arenas` before the app starts its threads, then :func:`tune_serving_process`.
"""

from __future__ import annotations

import os
import sys

#: The cyclic garbage collector's thresholds in a serving process (Python's are 700, 10, 10).
GC_THRESHOLDS = (5000, 20, 10)


def tune_gc() -> None:
    """Make the garbage collector cheap for a serving process (call once the app is built):
    everything alive now (modules, the routes, the ORM's mappings: a few hundred thousand
    objects that live as long as the process) is moved out of the collected generations with
    ``gc.freeze()``, and collections run after :data:`GC_THRESHOLDS` allocations. Measured
    under ``scripts/bench/load.py --kinds put``: each full collection walked the whole app and
    took ~130 ms, stopping every request of the worker meanwhile; in all the collector took
    ~0.27 ms of CPU per request, ~0.03 ms after."""
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


#: glibc's ``M_ARENA_MAX`` (``mallopt``), and the arenas a serving process keeps.
_M_ARENA_MAX = -8
MALLOC_ARENAS = 2


def limit_malloc_arenas() -> bool:
    """Cap glibc's malloc arenas of this process at :data:`MALLOC_ARENAS` (before its
    threads start), unless ``MALLOC_ARENA_MAX`` is set (glibc then obeys it). By default
    glibc gives threads up to 8 arenas per CPU, each keeping the memory freed in it: a worker
    whose thread pool inserted a million catalogue rows held ~25 MiB in such arenas. Python
    allocates under its GIL, so fewer arenas cost no throughput. Returns whether the cap was
    set (False off glibc)."""
    if os.environ.get("MALLOC_ARENA_MAX") or not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except AttributeError:  # not glibc (musl has no mallopt)
        return False
    return bool(mallopt(_M_ARENA_MAX, MALLOC_ARENAS))


#: Seconds between two returns of a serving process's freed heap memory to the system.
HEAP_TRIM_SECONDS = 1.0


def start_heap_trimmer(period: float = HEAP_TRIM_SECONDS) -> bool:
    """Give the memory glibc's malloc keeps after ``free`` back to the system every
    ``period`` seconds (``malloc_trim(0)`` in a daemon thread; ctypes releases the GIL).

    Request bodies pass through buffers of up to 1 MiB (the protocol's read-ahead, the
    store's write blocks). Once one such buffer is freed glibc serves the next ones from the
    heap instead of ``mmap`` (its threshold adapts), and a freed stretch of heap below a live
    object stays resident: under ``scripts/bench/load.py --kinds multipart`` each worker's
    heap went from 21 to ~60 MiB and stayed there, free. A trim returns such stretches (a
    call took 14 ms for 200 MiB freed, 0.2 ms with nothing to return). Returns whether the
    thread started (False off glibc)."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes
    import threading
    import time

    try:
        trim = ctypes.CDLL(None).malloc_trim
    except AttributeError:  # not glibc
        return False

    def run() -> None:
        while True:
            time.sleep(period)
            trim(0)

    threading.Thread(target=run, name="heap-trim", daemon=True).start()
    return True


def tune_serving_process() -> None:
    """Everything a serving process tunes once its app is built: :func:`tune_gc` and
    :func:`start_heap_trimmer`."""
    tune_gc()
    start_heap_trimmer()
